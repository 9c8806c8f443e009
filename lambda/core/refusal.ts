/**
 * One type for every answer the proxy makes itself (function or daemon), smokescreen-style: one enum of
 * outcomes whose names are the same in the marker header, the log line and the metrics label.
 *
 * The status is a property of the code, so a code always means one status. Add a code here (with its status)
 * and document it in docs/statuses.md; the test that walks every code fails until both are done.
 */
import type { HeaderPairs, ProxyResponse } from "./proxy-request";

/** Marks answers made by the proxy itself, never the API's own; its value is the refusal code. */
export const ERROR_MARKER = "x-ssm-sign-proxy-error";

/** Every refusal code and its HTTP status. Codes are stable: tools match on them. */
export const REFUSAL_STATUS = {
  // The request itself.
  "bad-event": 400,
  "host-invalid": 400,
  "request-target-invalid": 400,
  "scheme-unsupported": 400,
  "userinfo-refused": 400,
  "host-header-duplicate": 400,
  "request-malformed": 400,
  "body-incomplete": 400,
  "body-type-unsupported": 400,
  "method-not-allowed": 405,
  "page-not-found": 404,
  "connect-refused": 405,
  "trace-refused": 405,
  "misdirected-request": 421,
  "request-timeout": 408,
  "body-too-large": 413,
  "headers-too-large": 431,
  // Who may ask.
  "client-not-allowed": 403,
  "proxy-token-required": 407,
  "proxy-token-invalid": 407,
  "page-token-required": 401,
  // Parameters.
  "no-parameters": 407,
  "reserved-host-name": 407,
  "host-not-deployed": 407,
  "parameters-path-invalid": 502,
  "parameters-denied": 502,
  "parameters-unavailable": 502,
  "parameters-throttled": 503,
  "lookups-rate-limited": 407,
  // The upstream.
  "metadata-address": 403,
  "upstream-connect-failed": 502,
  "upstream-tls-failed": 502,
  "upstream-reset": 502,
  "upstream-too-large": 502,
  "upstream-upgrade": 502,
  "upstream-timeout": 504,
  // Tokens the function mints (GitHub App installation tokens, OAuth2 client credentials).
  "token-key-invalid": 502,
  "token-mint-rejected": 502,
  "token-mint-invalid": 502,
  "token-mint-unavailable": 503,
  "token-mint-timeout": 504,
  // The daemon's signer (Lambda Invoke or the in-process function).
  "signer-not-ready": 503,
  "signer-unavailable": 503,
  "daemon-busy": 503,
  "invoke-throttled": 503,
  "invoke-timeout": 504,
  "invoke-request-too-large": 413,
  "invoke-response-too-large": 502,
  "function-error": 502,
  "signer-result-invalid": 502,
  "internal-error": 500,
  "tunnel-limit": 503,
  // Not a refusal, but answered by the proxy: the ALB health check.
  "health-ok": 200,
} as const satisfies Record<string, number>;

export type RefusalCode = keyof typeof REFUSAL_STATUS;

export interface Refusal {
  readonly status: number;
  readonly code: RefusalCode;
  /** One line naming the cause and the fix. Never a parameter value, a header value or a body. */
  readonly message: string;
  /** Extra response headers, e.g. Retry-After or Proxy-Authenticate. */
  readonly headers?: HeaderPairs;
}

/** The code of an own answer, read from its marker; undefined for a relayed answer or an unknown value. */
export function refusalCodeOf(headers: HeaderPairs): RefusalCode | undefined {
  for (const [name, value] of headers) {
    if (name.length === ERROR_MARKER.length && name.toLowerCase() === ERROR_MARKER) {
      return Object.hasOwn(REFUSAL_STATUS, value) ? (value as RefusalCode) : undefined;
    }
  }
  return undefined;
}

/** A relayed answer (the API's own) never carries our marker: an upstream must not pass for the proxy. */
export function withoutMarker(headers: HeaderPairs): HeaderPairs {
  return headers.filter(
    ([name]) => name.length !== ERROR_MARKER.length || name.toLowerCase() !== ERROR_MARKER,
  );
}

export function refuse(code: RefusalCode, message: string, headers?: HeaderPairs): Refusal {
  const status = REFUSAL_STATUS[code];
  return headers && headers.length > 0 ? { status, code, message, headers } : { status, code, message };
}

export function isRefusal(value: unknown): value is Refusal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    Object.hasOwn(REFUSAL_STATUS, (value as { code: string }).code) &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** One line, no control characters: safe to put in a body, a status line or a log line. */
export function oneLine(message: string): string {
  return message.replace(/[\r\n\t\x00-\x1f\x7f]+/g, " ").slice(0, 1000);
}

/** The one builder of own answers: text body, marker header carrying the code, then the extra headers. */
export function refusalResponse(refusal: Refusal): ProxyResponse {
  const body = Buffer.from(`${oneLine(refusal.message)}\n`, "utf8");
  return {
    statusCode: refusal.status,
    headers: [
      ["content-type", "text/plain; charset=utf-8"],
      ["content-length", String(body.length)],
      [ERROR_MARKER, refusal.code],
      ...(refusal.headers ?? []),
    ],
    body,
  };
}
