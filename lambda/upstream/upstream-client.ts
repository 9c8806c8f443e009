/**
 * Sends a signed request to `https://<host>[:port]` and reads the whole answer. The only network edge besides SSM.
 * - A keep-alive pool lives in module scope (one https.Agent), so warm invocations reuse TLS connections.
 *   node:https rather than undici: same pooling, zero bundle cost (undici alone is 530 KB minified, most of the
 *   cold-start import time; see docs/benchmarks.md).
 * - Redirects are returned, never followed: a followed redirect would carry injected secrets to another host.
 * - Bodies are never decoded: a gzip answer stays gzip.
 * - A reused socket that the peer reset (sockets freeze with a Lambda sandbox and die meanwhile) gets one retry,
 *   for idempotent methods only.
 * - Addresses are checked after DNS resolution (address-guard), so DNS rebinding cannot reach metadata services.
 */
import https from "node:https";
import { isIP } from "node:net";
import { pairsFromRaw } from "../core/header-pairs";
import type { UpstreamHost } from "../core/host-key";
import type { HeaderPairs, ProxyRequest, ProxyResponse } from "../core/proxy-request";
import { requestTarget } from "../signing/signer";
import { FORBIDDEN_ADDRESS_CODE, guardedLookup, isForbiddenAddress } from "./address-guard";
import { refuseUpgrade } from "./upgrade-guard";

export type UpstreamFailureKind =
  | "timeout"
  | "connect"
  | "tls"
  | "reset"
  | "forbidden-address"
  | "too-large"
  | "upgrade";

export interface UpstreamFailure {
  kind: "upstream-failure";
  failure: UpstreamFailureKind;
  /** A short error code (ECONNREFUSED, CERT_HAS_EXPIRED, …): never a URL or a header value. */
  code: string;
  /** One line for the client, naming the host and the reason; built only from non-secret parts. */
  message: string;
}

export interface UpstreamOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /** Aborts the request (the client went away): the upstream fetch stops at once and reports a timeout. */
  signal?: AbortSignal;
}

export const agent = new https.Agent({
  keepAlive: true,
  keepAliveMsecs: 15_000,
  maxSockets: 256,
  // As many idle sockets as busy ones: a burst that ends must not cost the next burst its TLS handshakes.
  maxFreeSockets: 256,
  // Idle sockets close after 30 s, or 1 s before the server's own `Keep-Alive: timeout=N` (Node applies the
  // hint): reusing a socket the server is closing is what turns a POST into ECONNRESET.
  timeout: 30_000,
  // Most recently used first: fewer sockets stay warm, and those are the least likely to have been closed.
  scheduling: "lifo",
  lookup: guardedLookup as unknown as https.AgentOptions["lookup"],
});

export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** RFC 9110 §9.2.2: a request that may be sent twice with the effect of once. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
export const BODYLESS = new Set(["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"]);

/** Whether the request goes out with a body (and Content-Length): any body, or a method that expects one. */
export function sendsBody(request: ProxyRequest): boolean {
  return request.body.length > 0 || !BODYLESS.has(request.method);
}
export const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE"]);

/** Why one attempt failed: a short code, and whether a retry is safe (reused socket, nothing received). */
export class UpstreamError extends Error {
  constructor(
    readonly code: string,
    readonly reusedSocket: boolean,
    readonly responseStarted: boolean,
  ) {
    super(code);
  }
}

export function failure(
  host: UpstreamHost,
  kind: UpstreamFailureKind,
  code: string,
  why: string,
): UpstreamFailure {
  return {
    kind: "upstream-failure",
    failure: kind,
    code,
    message: `upstream ${host.authority}: ${why} (${code})`,
  };
}

/** An attempt's error as the failure the client sees; shared by every upstream client so they answer alike. */
export function classify(
  host: UpstreamHost,
  error: UpstreamError,
  options: UpstreamOptions,
): UpstreamFailure {
  const { code } = error;
  if (code === "RESPONSE_TOO_LARGE") {
    return failure(
      host,
      "too-large",
      code,
      `response body exceeds ${options.maxResponseBytes} bytes, the most a Lambda result can carry`,
    );
  }
  if (code === FORBIDDEN_ADDRESS_CODE) {
    return failure(
      host,
      "forbidden-address",
      code,
      "resolves only to link-local or metadata addresses, which are never dialled",
    );
  }
  if (code === "UPSTREAM_UPGRADE") {
    return failure(
      host,
      "upgrade",
      code,
      "answered 101 Switching Protocols to a request that asked for no upgrade; protocol switches are not proxied",
    );
  }
  if (code === "ABORTED")
    return failure(host, "timeout", code, "the request was cancelled: the client went away");
  if (code === "ETIMEDOUT")
    return failure(
      host,
      "timeout",
      code,
      `no complete answer within ${Math.round(options.timeoutMs / 100) / 10}s`,
    );
  if (RESET_CODES.has(code))
    return failure(
      host,
      "reset",
      code,
      error.responseStarted ? "connection reset mid-response" : "connection reset by peer",
    );
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/i.test(code)) {
    return failure(host, "tls", code, "TLS handshake failed: the certificate is not trusted for this host");
  }
  return failure(host, "connect", code, "connection failed");
}

/** Grouped by name in a null-prototype map: `constructor` or `__proto__` are ordinary header names here. */
export function outgoingHeaders(headers: HeaderPairs): Record<string, string | string[]> {
  const grouped: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of headers) {
    const existing = grouped[name];
    if (existing === undefined) grouped[name] = value;
    else grouped[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return grouped;
}

function sendOnce(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
): Promise<ProxyResponse> {
  const hasBody = sendsBody(request);
  const headers = outgoingHeaders(
    hasBody ? [...request.headers, ["content-length", String(request.body.length)]] : request.headers,
  );
  return new Promise((resolve, reject) => {
    let responseStarted = false;
    const req = https.request({
      agent,
      host: host.hostname,
      port: host.port,
      // SNI must be a name; for an IP literal Node would warn and send none.
      ...(isIP(host.hostname) ? {} : { servername: host.hostname }),
      method: request.method,
      path: requestTarget(request.path, request.query),
      headers: Object.assign(Object.create(null) as Record<string, string | string[]>, headers, {
        host: host.authority,
      }),
    });
    // The first cause wins: destroying a socket on purpose (too large, timeout) makes it report a reset too.
    let settled = false;
    const fail = (code: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new UpstreamError(code, req.reusedSocket, responseStarted));
    };
    const timer = setTimeout(
      () => {
        fail("ETIMEDOUT");
        req.destroy();
      },
      Math.max(1, deadline - Date.now()),
    );
    req.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
    refuseUpgrade(req, fail);
    const { signal } = options;
    const onAbort = () => {
      fail("ABORTED");
      req.destroy();
    };
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener("abort", onAbort, { once: true });
    req.once("close", () => signal?.removeEventListener("abort", onAbort));
    req.on("response", (res) => {
      responseStarted = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          fail("RESPONSE_TOO_LARGE");
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
      res.on("aborted", () => fail("ECONNRESET"));
      res.on("end", () => {
        clearTimeout(timer);
        if (!res.complete) return fail("ECONNRESET");
        if (settled) return;
        settled = true;
        resolve({
          statusCode: res.statusCode ?? 502,
          headers: pairsFromRaw(res.rawHeaders),
          body: Buffer.concat(chunks, size),
        });
      });
    });
    req.end(hasBody ? request.body : undefined);
  });
}

/** One attempt: the answer, or an {@link UpstreamError} (rejected) saying why and whether a retry is safe. */
export type SendOnce = (
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
) => Promise<ProxyResponse>;

/**
 * The policy around any upstream client's attempts: metadata addresses never dialled, one deadline for the whole
 * answer, a reset on a reused connection before any answer retried once for idempotent methods, failures
 * classified alike.
 */
export async function sendWithPolicy(
  attempt: SendOnce,
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
): Promise<ProxyResponse | UpstreamFailure> {
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
export function upstreamClient(
  attempt: SendOnce,
): (
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
) => Promise<ProxyResponse | UpstreamFailure> {
  return (host, request, options) => sendWithPolicy(attempt, host, request, options);
}

/** The function's upstream client: node:https on the module's keep-alive agent. */
export const sendUpstream = upstreamClient(sendOnce);

export function isUpstreamFailure(value: unknown): value is UpstreamFailure {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "upstream-failure"
  );
}
