/**
 * The policy around any upstream client's attempts, buffered or streamed, node:https or undici: metadata
 * addresses never dialled, one deadline for the whole answer, a reset on a reused connection before any answer
 * retried once for idempotent methods, failures classified alike. Generic over what an attempt resolves to, so
 * each client only writes its single attempt.
 */
import type { UpstreamHost } from "../core/host-key";
import type { ProxyRequest, ProxyResponse } from "../core/proxy-request";
import { FORBIDDEN_ADDRESS_CODE, isForbiddenAddress } from "./address-guard";
import { classify, failure, RESET_CODES, type UpstreamError, type UpstreamFailure } from "./upstream-failure";
import type { UpstreamOptions } from "./upstream-request";

export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** RFC 9110 §9.2.2: a request that may be sent twice with the effect of once. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** One attempt: its result, or an {@link UpstreamError} (rejected) saying why and whether a retry is safe. */
export type Attempt<T> = (
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
) => Promise<T>;

/** One buffered attempt: the whole answer. */
export type SendOnce = Attempt<ProxyResponse>;

/** The attempt's result, or the classified failure; `deadline` bounds the attempt and its one retry together. */
export async function sendWithPolicy<T>(
  attempt: Attempt<T>,
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
): Promise<T | UpstreamFailure> {
  if (isForbiddenAddress(host.hostname)) {
    return failure(
      host,
      "forbidden-address",
      FORBIDDEN_ADDRESS_CODE,
      "is a link-local or metadata address, which is never dialled",
    );
  }
  const deadline = Date.now() + options.timeoutMs;
  try {
    return await attempt(host, request, options, deadline);
  } catch (error) {
    const e = error as UpstreamError;
    const retry =
      RESET_CODES.has(e.code) &&
      e.reusedSocket &&
      !e.responseStarted &&
      IDEMPOTENT.has(request.method) &&
      Date.now() < deadline;
    if (!retry) return classify(host, e, options);
    try {
      return await attempt(host, request, options, deadline);
    } catch (retryError) {
      return classify(host, retryError as UpstreamError, options);
    }
  }
}

/** An upstream client from its attempt function, with the policy above around it. */
export function upstreamClient<T>(
  attempt: Attempt<T>,
): (host: UpstreamHost, request: ProxyRequest, options: UpstreamOptions) => Promise<T | UpstreamFailure> {
  return (host, request, options) => sendWithPolicy(attempt, host, request, options);
}
