/**
 * Sends a signed request to `https://<host>[:port]` and reads the whole answer. The only network edge besides SSM.
 * - A keep-alive pool lives in module scope (one undici Agent), so warm invocations reuse TLS connections.
 * - Redirects are returned, never followed: a followed redirect would carry injected secrets to another host.
 * - Bodies are never decoded: a gzip answer stays gzip.
 * - A reused socket that the peer reset (sockets freeze with a Lambda sandbox and die meanwhile) gets one retry,
 *   for idempotent methods only.
 */
import { Agent } from "undici";
import { FORBIDDEN_ADDRESS_CODE, guardedLookup, isForbiddenAddress } from "./address-guard";
import type { HeaderPairs, ProxyRequest, ProxyResponse } from "./alb-event";
import type { UpstreamHost } from "./host-key";
import { requestTarget } from "./signer";

export type UpstreamFailureKind = "timeout" | "connect" | "tls" | "reset" | "forbidden-address" | "too-large";

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
}

const agent = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 60_000,
  connections: 128,
  connect: { lookup: guardedLookup, timeout: 10_000 },
});

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

class TooLargeError extends Error {
  readonly code = "RESPONSE_TOO_LARGE";
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const c = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof c.code === "string") return c.code;
    if (c.name === "AbortError" || c.name === "TimeoutError") return "ETIMEDOUT";
    current = c.cause;
  }
  return "UNKNOWN";
}

function failure(
  host: UpstreamHost,
  failureKind: UpstreamFailureKind,
  code: string,
  why: string,
): UpstreamFailure {
  return {
    kind: "upstream-failure",
    failure: failureKind,
    code,
    message: `upstream ${host.authority}: ${why} (${code})`,
  };
}

function classify(host: UpstreamHost, error: unknown, options: UpstreamOptions): UpstreamFailure {
  if (error instanceof TooLargeError) {
    return failure(
      host,
      "too-large",
      error.code,
      `response body exceeds ${options.maxResponseBytes} bytes, the most a Lambda result can carry`,
    );
  }
  const code = errorCode(error);
  if (code === FORBIDDEN_ADDRESS_CODE)
    return failure(
      host,
      "forbidden-address",
      code,
      "resolves only to link-local or metadata addresses, which are never dialled",
    );
  if (TIMEOUT_CODES.has(code))
    return failure(
      host,
      "timeout",
      code,
      `no complete answer within ${Math.round(options.timeoutMs / 100) / 10}s`,
    );
  if (RESET_CODES.has(code)) return failure(host, "reset", code, "connection reset by peer");
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/i.test(code)) {
    return failure(host, "tls", code, "TLS handshake failed: the certificate is not trusted for this host");
  }
  return failure(host, "connect", code, "connection failed");
}

function toPairs(headers: Record<string, string | string[] | undefined>): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
    else pairs.push([name, value]);
  }
  return pairs;
}

function flatten(headers: HeaderPairs): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

async function sendOnce(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  signal: AbortSignal,
): Promise<ProxyResponse> {
  const hasBody =
    request.body.length > 0 || !["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"].includes(request.method);
  const headers = hasBody
    ? [...request.headers, ["content-length", String(request.body.length)] as [string, string]]
    : request.headers;
  const response = await agent.request({
    origin: `https://${host.authority}`,
    path: requestTarget(request.path, request.query),
    method: request.method,
    headers: flatten(headers),
    body: hasBody ? request.body : undefined,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > options.maxResponseBytes) {
      response.body.destroy();
      throw new TooLargeError("response too large");
    }
    chunks.push(chunk as Buffer);
  }
  return {
    statusCode: response.statusCode,
    headers: toPairs(response.headers),
    body: Buffer.concat(chunks, size),
  };
}

export async function sendUpstream(
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
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    return await sendOnce(host, request, options, signal);
  } catch (error) {
    const first = classify(host, error, options);
    if (first.failure !== "reset" || !IDEMPOTENT.has(request.method) || signal.aborted) return first;
    try {
      return await sendOnce(host, request, options, signal);
    } catch (retryError) {
      return classify(host, retryError, options);
    }
  }
}

export function isUpstreamFailure(value: unknown): value is UpstreamFailure {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "upstream-failure"
  );
}
