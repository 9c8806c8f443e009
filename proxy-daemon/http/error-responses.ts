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

/** Status mapping for invocation failures (README "Statuses"). */
export function errorForFailure(failure: InvokeFailure): DaemonError {
  switch (failure.kind) {
    case "function-error":
      return daemonError(502, `${failure.errorType}: ${failure.errorMessage}`);
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
