/**
 * The one thing the daemon needs from "the function": turn an ALB event into a result, or say why not.
 * Lambda mode and local mode implement it; the proxy server and the embedding API only see this interface.
 */
import type { AlbMultiValueEvent } from "../../lambda/core/proxy-request";
import type { StreamedResponse } from "../../lambda/core/streamed-response";

/** Why an invocation produced no usable result. Each kind maps to one HTTP status (error-responses.ts). */
export type InvokeFailure =
  /** The function threw (Lambda's `X-Amz-Function-Error`). */
  | { kind: "function-error"; errorType: string; errorMessage: string }
  /** The function's answer exceeded Lambda's 6 MB synchronous response limit. */
  | { kind: "response-too-large"; message: string }
  /** The request event exceeded Lambda's payload limit. */
  | { kind: "request-too-large"; message: string }
  /** Lambda kept throttling after the SDK's own retries. */
  | { kind: "throttled"; message: string; retryAfterSeconds: number }
  /** No answer within `--timeout` (or the function itself timed out). */
  | { kind: "timeout"; message: string }
  /** The invoker cannot work right now: missing function or permission, no credentials, network down. */
  | { kind: "unavailable"; message: string };

export type InvokeFailureKind = InvokeFailure["kind"];

/** A result payload, not yet validated: `decodeResult` from lambda/event-codec does that. */
export interface InvokeSuccess {
  kind: "result";
  result: unknown;
}

/**
 * A streamed answer whose status and headers have arrived; its body follows on `response.stream`, which
 * errors if the function fails after this point.
 */
export interface InvokeStream {
  kind: "stream";
  response: StreamedResponse;
}

export type InvokeOutcome = InvokeSuccess | InvokeStream | InvokeFailure;

export interface Invoker {
  /** Never throws: every failure comes back as an {@link InvokeFailure}. */
  invoke(event: AlbMultiValueEvent, signal: AbortSignal): Promise<InvokeOutcome>;
  /** Releases sockets, watchers and timers. */
  close(): Promise<void>;
}

export function isInvokeFailure(outcome: InvokeOutcome): outcome is InvokeFailure {
  return outcome.kind !== "result" && outcome.kind !== "stream";
}
