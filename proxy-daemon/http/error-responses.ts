/**
 * The daemon's refusals for failed invocations: each failure kind of the invoker is one refusal code.
 * Messages name the function and the cause; never a header value, a parameter value or a request body.
 */
import { type Refusal, refuse } from "../../lambda/core/refusal";
import type { InvokeFailure } from "../invoke/invoker";

export function refusalForFailure(failure: InvokeFailure): Refusal {
  switch (failure.kind) {
    case "function-error":
      return refuse("function-error", `${failure.errorType}: ${failure.errorMessage}`);
    case "response-too-large":
      return refuse("invoke-response-too-large", `response too large: ${failure.message}`);
    case "request-too-large":
      return refuse("invoke-request-too-large", `request too large for Lambda: ${failure.message}`);
    case "throttled":
      return refuse("invoke-throttled", `throttled: ${failure.message}`, [
        ["Retry-After", String(failure.retryAfterSeconds)],
      ]);
    case "timeout":
      return refuse("invoke-timeout", `timeout: ${failure.message}`);
    case "unavailable":
      return refuse("signer-unavailable", `signer unavailable: ${failure.message}`);
    case "malformed-result":
      return refuse("signer-result-invalid", `the signer returned a malformed result: ${failure.message}`);
  }
}
