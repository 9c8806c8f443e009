/**
 * The daemon's refusals for failed invocations: each failure kind of the invoker is one refusal code.
 * Messages name the function and the cause; never a header value, a parameter value or a request body.
 */
import { type Refusal, refuse } from "../../lambda/core/refusal";
import type { InvokeFailure } from "../invoke/invoker";

/** The error type as a name only (`TypeError`, `*url.Error`): anything else in it is dropped. */
function errorTypeName(errorType: string): string {
  const name = errorType.replace(/[^A-Za-z0-9_.*:$-]/g, "").slice(0, 100);
  return name === "" ? "unnamed" : name;
}

export function refusalForFailure(failure: InvokeFailure): Refusal {
  switch (failure.kind) {
    case "function-error":
      // Never the message: a function may put the URL it called, query secret included, into it. The daemon
      // logs it at debug level with query strings removed (signing-exchange.ts).
      return refuse(
        "function-error",
        `the signer failed with a function error (${errorTypeName(failure.errorType)}); its message is in the daemon's log at debug level (--log-level debug)`,
      );
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
