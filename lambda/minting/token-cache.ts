/**
 * Minted tokens per host, in module scope (reused while the sandbox is warm): one token per host, reused until
 * its `reuseUntil`; concurrent requests share one mint (single flight); failures are not remembered, so the next
 * request tries again. An entry minted under another configuration (fingerprint) is never served.
 * Time comes from `Date.now()` so fake timers can drive it in tests.
 */
import { isRefusal, type Refusal, refuse } from "../core/refusal";
import type { MintedToken } from "./minted-token";

export interface CachedToken {
  token: MintedToken;
  /** `cached`: minted by an earlier request; `minted`: by this one (or a concurrent one it waited for). */
  outcome: "cached" | "minted";
}

interface Flight {
  fingerprint: string;
  promise: Promise<MintedToken | Refusal>;
}

export class MintedTokenCache {
  readonly #tokens = new Map<string, { fingerprint: string; token: MintedToken }>();
  readonly #flights = new Map<string, Flight>();
  readonly #maxEntries: number;

  constructor(maxEntries = 1000) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#tokens.size;
  }

  async get(
    host: string,
    fingerprint: string,
    mint: () => Promise<MintedToken | Refusal>,
  ): Promise<CachedToken | Refusal> {
    const entry = this.#tokens.get(host);
    if (entry && entry.fingerprint === fingerprint && entry.token.reuseUntil > Date.now()) {
      return { token: entry.token, outcome: "cached" };
    }
    let flight = this.#flights.get(host);
    if (!flight || flight.fingerprint !== fingerprint) {
      const promise = mint()
        // Minters return refusals; a throw is a bug. Its text might hold anything, so it is not passed on.
        .catch((): Refusal => refuse("internal-error", `minting a token for ${host} failed unexpectedly`))
        .then((result) => {
          if (!isRefusal(result)) this.#store(host, fingerprint, result);
          return result;
        })
        .finally(() => {
          if (this.#flights.get(host)?.promise === promise) this.#flights.delete(host);
        });
      flight = { fingerprint, promise };
      this.#flights.set(host, flight);
    }
    const result = await flight.promise;
    return isRefusal(result) ? result : { token: result, outcome: "minted" };
  }

  /** Forgets `value` if it is still the host's token (the API refused it); a newer one is kept. */
  drop(host: string, value: string): void {
    if (this.#tokens.get(host)?.token.value === value) this.#tokens.delete(host);
  }

  #store(host: string, fingerprint: string, token: MintedToken): void {
    this.#tokens.delete(host);
    this.#tokens.set(host, { fingerprint, token });
    while (this.#tokens.size > this.#maxEntries) {
      const oldest = this.#tokens.keys().next();
      if (oldest.done) break;
      this.#tokens.delete(oldest.value);
    }
  }
}
