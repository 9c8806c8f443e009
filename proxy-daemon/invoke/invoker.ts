/**
 * The one thing the daemon needs from "the function": sign a request and send it on, or say why not.
 * Lambda mode (an Invoke carrying the ALB event) and local mode (the signing core, in-process) implement it; the
 * proxy server and the embedding API only see this interface.
 */
import type { ProxyResponse, SignRequest } from "../../lambda/core/proxy-request";
import type { StreamedResponse } from "../../lambda/core/streamed-response";

/** Why an invocation produced no usable answer. Each kind maps to one refusal code (http/invoke-refusals.ts). */
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
  | { kind: "unavailable"; message: string }
  /** The function answered something that is not an ALB result. */
  | { kind: "malformed-result"; message: string };

export type InvokeFailureKind = InvokeFailure["kind"];

/**
 * The answer, ready for the client: the API's (headers filtered for the client) or the function's own refusal
 * (its marker carries the code). The proxy server writes it as it is.
 */
export interface InvokeSuccess {
  kind: "response";
  response: ProxyResponse;
}

/**
 * A streamed answer whose status and headers have arrived (filtered for the client, like a whole one); its body
 * follows on `response.stream`, which errors if the signer fails after this point.
 */
export interface InvokeStream {
  kind: "stream";
  response: StreamedResponse;
}

export type InvokeOutcome = InvokeSuccess | InvokeStream | InvokeFailure;

export interface Invoker {
  /**
   * `request.headers` are the client's, unfiltered: each invoker filters them once on the way to the signer.
   * Never throws: every failure comes back as an {@link InvokeFailure}.
   */
  sign(request: SignRequest, signal: AbortSignal): Promise<InvokeOutcome>;
  /** Releases sockets, watchers and timers. */
  close(): Promise<void>;
}

export function isInvokeFailure(outcome: InvokeOutcome): outcome is InvokeFailure {
  return outcome.kind !== "response" && outcome.kind !== "stream";
}
