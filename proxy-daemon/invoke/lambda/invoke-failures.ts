// Lambda's error signals (X-Amz-Function-Error, SDK service errors) as typed failures.
import type { InvokeFailure } from "../invoker";

/** The fields read from an SDK service exception. */
interface ServiceErrorShape {
  name?: string;
  message?: string;
  retryAfterSeconds?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

export function describeFunctionError(
  functionName: string,
  payload: Uint8Array | undefined,
  header: string,
): InvokeFailure {
  let errorType = header;
  const text = Buffer.from(payload ?? new Uint8Array())
    .toString("utf8")
    .trim();
  // InvokeComplete's ErrorDetails may be plain text ("Task timed out after 3.00 seconds").
  let errorMessage =
    text !== "" && !text.startsWith("{") ? text.slice(0, 500) : "the function failed without a message";
  try {
    const parsed = JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString("utf8")) as {
      errorType?: unknown;
      errorMessage?: unknown;
    };
    if (typeof parsed.errorType === "string") errorType = parsed.errorType;
    if (typeof parsed.errorMessage === "string") errorMessage = parsed.errorMessage;
  } catch {
    // Not JSON: keep the header's error kind.
  }
  if (
    errorType === "Function.ResponseSizeTooLarge" ||
    /response payload size .* exceeded/i.test(errorMessage)
  ) {
    return { kind: "response-too-large", message: `${functionName}: ${errorMessage}` };
  }
  if (errorType === "Sandbox.Timedout" || /Task timed out/i.test(errorMessage)) {
    return { kind: "timeout", message: `function ${functionName} timed out: ${errorMessage}` };
  }
  return { kind: "function-error", errorType, errorMessage };
}

/** SDK exceptions -> failures. Messages name the function and the cause, never request contents. */
export function failureFromError(
  functionName: string,
  err: unknown,
  timeoutSeconds: number,
  aborted: boolean,
): InvokeFailure {
  const e = (err ?? {}) as ServiceErrorShape;
  const name = e.name ?? "Error";
  const message = e.message ?? String(err);
  if (aborted || name === "AbortError" || name === "TimeoutError") {
    return { kind: "timeout", message: `no answer from function ${functionName} within ${timeoutSeconds} s` };
  }
  // Lambda's payload quota answers 413 under more than one error name.
  if (e.$metadata?.httpStatusCode === 413) return { kind: "request-too-large", message };
  switch (name) {
    case "TooManyRequestsException": {
      const fromHeader = e.$response?.headers?.["retry-after"];
      const seconds = Number(e.retryAfterSeconds ?? fromHeader ?? 1);
      return {
        kind: "throttled",
        message: `Lambda throttled function ${functionName} (${message})`,
        retryAfterSeconds: Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1,
      };
    }
    case "RequestTooLargeException":
    case "RequestEntityTooLargeException":
      return { kind: "request-too-large", message };
    case "ResourceNotFoundException":
      return { kind: "unavailable", message: `function ${functionName} not found (${message})` };
    case "AccessDeniedException":
    case "AccessDenied":
      return {
        kind: "unavailable",
        message: `not allowed to call lambda:InvokeFunction on ${functionName} (${message})`,
      };
    default:
      return { kind: "unavailable", message: `invoking ${functionName} failed: ${name}: ${message}` };
  }
}

/** Lambda's answers to credentials that have expired (as opposed to credentials that were never valid). */
const EXPIRED_CREDENTIALS = new Set(["ExpiredTokenException", "ExpiredToken", "RequestExpired"]);

/** Whether `err` is Lambda rejecting credentials as expired, which a renewed client can fix. */
export function isExpiredCredentials(err: unknown): boolean {
  const name = (err as ServiceErrorShape | undefined)?.name ?? "";
  return EXPIRED_CREDENTIALS.has(name);
}
