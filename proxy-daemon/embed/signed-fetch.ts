/**
 * `createSignedFetch(options)`: a `fetch` whose requests get their tokens from the signer, without a daemon.
 *
 *   const signedFetch = createSignedFetch({ functionName: "ssm-sign-proxy" });   // or { local: "params.json" }
 *   const res = await signedFetch("https://api.github.com/user/repos");
 *
 * It is undici's fetch with a {@link SigningDispatcher}; `signedFetch.dispatcher` is that dispatcher, and
 * `signedFetch.close()` releases it. Statuses are the daemon's (docs/statuses.md).
 */
import { fetch as undiciFetch } from "undici";
import type { SignerOptions } from "./signer-setup";
import { createSigningDispatcher, type SigningDispatcher } from "./signing-dispatcher";

type FetchInput = Parameters<typeof undiciFetch>[0];
type FetchInit = NonNullable<Parameters<typeof undiciFetch>[1]>;

export interface SignedFetch {
  (input: FetchInput, init?: Omit<FetchInit, "dispatcher">): ReturnType<typeof undiciFetch>;
  readonly dispatcher: SigningDispatcher;
  close(): Promise<void>;
}

export function createSignedFetch(options: SignerOptions): SignedFetch {
  const dispatcher = createSigningDispatcher(options);
  const signedFetch = (input: FetchInput, init?: Omit<FetchInit, "dispatcher">) =>
    undiciFetch(input, { ...init, dispatcher });
  return Object.assign(signedFetch, { dispatcher, close: () => dispatcher.close() });
}
