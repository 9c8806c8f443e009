/**
 * An undici Dispatcher that sends every request through the signer instead of the network: the Node
 * counterpart of the original's `http.RoundTripper`. Use it per request (`fetch(url, { dispatcher })`) or
 * for the whole process (`setGlobalDispatcher`). Both http:// and https:// URLs are accepted: either way the
 * signer calls the API over HTTPS. Requests are buffered (bodies up to `maxBodyBytes`), like the daemon's.
 */
import { hostname } from "node:os";
import { Dispatcher } from "undici";
import type { ProxyResponse } from "../../lambda/core/proxy-request";
import { isRefusal, refusalCodeOf, refusalResponse } from "../../lambda/core/refusal";
import { isStreamedResponse, type StreamedResponse } from "../../lambda/core/streamed-response";
import { splitPathAndQuery } from "../http/request-target";
import { exchange } from "../http/signing-exchange";
import { collectBody, headerPairs, targetOf } from "./dispatch-request";
import { BufferedController, deliverResponse } from "./response-delivery";
import { type ResolvedSigner, type SignerOptions, setUpSigner } from "./signer-setup";
import { SigningError } from "./signing-error";

async function textOf(response: ProxyResponse | StreamedResponse): Promise<string> {
  if (!isStreamedResponse(response)) return response.body.toString("utf8").trim();
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8").trim();
}

export class SigningDispatcher extends Dispatcher {
  readonly #signer: Promise<ResolvedSigner>;
  readonly #caller = { hostname: hostname(), mode: "embedded" };
  #closed = false;

  constructor(options: SignerOptions) {
    super();
    this.#signer = setUpSigner(options);
    // Surfaced on the first request; do not crash the process with an unhandled rejection meanwhile.
    this.#signer.catch(() => {});
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    void this.#run(opts, handler);
    return true;
  }

  async #run(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): Promise<void> {
    const abort = new AbortController();
    const controller = new BufferedController((reason) => abort.abort(reason));
    // Node's built-in fetch (and undici's own fetch) still speak the older callback API.
    const legacy = typeof handler.onRequestStart !== "function";
    const fail = (err: Error) => {
      if (legacy) handler.onError?.(err);
      else handler.onResponseError?.(controller, err);
    };
    try {
      if (this.#closed) throw new SigningError(503, "the signing dispatcher is closed", "signer-unavailable");
      if (legacy) handler.onConnect?.((err?: Error) => abort.abort(err ?? new Error("aborted")));
      else handler.onRequestStart?.(controller, {});
      const response = await this.#respond(opts, abort.signal);
      // The caller may abort while a streamed body is still arriving: stop reading it (and the signer).
      if (isStreamedResponse(response)) {
        abort.signal.addEventListener("abort", () => response.stream.destroy(), { once: true });
        if (abort.signal.aborted) response.stream.destroy();
      }
      if (abort.signal.aborted)
        throw abort.signal.reason instanceof Error ? abort.signal.reason : new Error("aborted");
      // fetch turns any 407 into a bare "fetch failed" (Fetch standard, HTTP-network-or-cache fetch step 15);
      // as an error the reason survives, as `cause` with fetch and as the rejection with undici.request.
      if (response.statusCode === 407) {
        const code = refusalCodeOf(response.headers);
        throw new SigningError(407, await textOf(response), code);
      }
      deliverResponse(opts, handler, controller, legacy, response);
    } catch (err) {
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #respond(
    opts: Dispatcher.DispatchOptions,
    signal: AbortSignal,
  ): Promise<ProxyResponse | StreamedResponse> {
    const signer = await this.#signer;
    const target = targetOf(opts);
    if (isRefusal(target)) return refusalResponse(target);
    const body = await collectBody(opts.body, signer.maxBodyBytes);
    if (!Buffer.isBuffer(body)) return refusalResponse(body);
    const { path, query } = splitPathAndQuery(target.pathAndQuery);
    const answer = await exchange(
      {
        method: opts.method,
        host: target.host,
        path,
        query,
        headers: headerPairs(opts.headers),
        body,
      },
      { invoker: signer.invoker, timeoutMs: signer.timeoutSeconds * 1000, caller: { ...this.#caller } },
      signal,
    );
    return isRefusal(answer) ? refusalResponse(answer) : answer;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const done = this.#signer.then(
      (s) => s.invoker.close(),
      () => {},
    );
    if (callback) {
      void done.then(callback);
      return;
    }
    return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const cb = typeof errOrCallback === "function" ? errOrCallback : callback;
    if (cb) {
      this.close(cb);
      return;
    }
    return this.close();
  }
}

/** A Dispatcher that signs through the function (`functionName`) or a parameter file (`local`). */
export function createSigningDispatcher(options: SignerOptions): SigningDispatcher {
  return new SigningDispatcher(options);
}
