/**
 * Every answer the daemon (or the embedding API) makes up itself: a status and a one-line text body that
 * names the cause. Never includes a header value, a parameter value or a request body.
 */
import type { ProxyResponse } from "../../lambda/core/proxy-request";
import type { InvokeFailure } from "../invoke/invoker";

/** Marks answers made by the proxy itself (daemon or function) rather than by the API. */
export const ERROR_MARKER = "x-ssm-sign-proxy-error";

export interface DaemonError {
  status: number;
  message: string;
  /** Extra response headers, e.g. Retry-After or Proxy-Authenticate. */
  headers?: Array<[string, string]>;
}

export function daemonError(status: number, message: string, headers?: Array<[string, string]>): DaemonError {
  return headers ? { status, message, headers } : { status, message };
}

/** The error type as a name only (`TypeError`, `*url.Error`): anything else in it is dropped. */
function errorTypeName(errorType: string): string {
  const name = errorType.replace(/[^A-Za-z0-9_.*:$-]/g, "").slice(0, 100);
  return name === "" ? "unnamed" : name;
}

/** Status mapping for invocation failures (README "Statuses"). */
export function errorForFailure(failure: InvokeFailure): DaemonError {
  switch (failure.kind) {
    case "function-error":
      // Never the message: a function may put the URL it called, query secret included, into it. The daemon
      // logs it at debug level with query strings removed (signing-exchange.ts).
      return daemonError(
        502,
        `the signer failed with a function error (${errorTypeName(failure.errorType)}); its message is in the daemon's log at debug level (--log-level debug)`,
      );
    case "response-too-large":
      return daemonError(502, `response too large: ${failure.message}`);
    case "request-too-large":
      return daemonError(413, `request too large for Lambda: ${failure.message}`);
    case "throttled":
      return daemonError(503, `throttled: ${failure.message}`, [
        ["Retry-After", String(failure.retryAfterSeconds)],
      ]);
    case "timeout":
      return daemonError(504, `timeout: ${failure.message}`);
    case "unavailable":
      return daemonError(503, `signer unavailable: ${failure.message}`);
  }
}

/** One line, no control characters: safe to put in a body or a log line. */
function oneLine(message: string): string {
  return message.replace(/[\r\n\t\x00-\x1f\x7f]+/g, " ").slice(0, 1000);
}

export function errorBody(error: DaemonError): Buffer {
  return Buffer.from(`${oneLine(error.message)}\n`, "utf8");
}

/** The error as a response, for the embedding API (which has no socket to write to). */
export function errorResponse(error: DaemonError): ProxyResponse {
  const body = errorBody(error);
  return {
    statusCode: error.status,
    headers: [
      ["Content-Type", "text/plain; charset=utf-8"],
      ["Content-Length", String(body.length)],
      ...(error.headers ?? []),
    ],
    body,
  };
}
