/**
 * One request through the signer, with the daemon's deadline; failures become refusals. Shared by the proxy
 * server and the embedding API so both answer the same way.
 */
import type { CallerContext, ProxyResponse, SignRequest } from "../../lambda/core/proxy-request";
import type { Refusal } from "../../lambda/core/refusal";
import type { StreamedResponse } from "../../lambda/core/streamed-response";
import { type InvokeOutcome, type Invoker, isInvokeFailure } from "../invoke/invoker";
import type { Health } from "../observe/health";
import { type DaemonMetrics, recordInvokeError } from "../observe/metrics";
import { withoutQueryStrings } from "../observe/redact-urls";
import { refusalForFailure } from "./invoke-refusals";

/**
 * The request: `host` already parsed (the function's key and the upstream to dial), `headers` the client's as
 * received (the invoker filters hop-by-hop, Proxy-*, X-Forwarded-*, Via, Forwarded and Host once).
 */
export type OutgoingRequest = Omit<SignRequest, "caller">;

export interface ExchangeDeps {
  invoker: Invoker;
  timeoutMs: number;
  caller: CallerContext;
  metrics?: DaemonMetrics;
  health?: Health;
  /** Where a function error's message goes (debug level): it never reaches the client. */
  debug?: (fields: Record<string, unknown>, msg: string) => void;
}

/** Failures that say the invoker itself is broken, as opposed to this one request failing. */
const BREAKS_INVOKER = new Set(["unavailable"]);

/** The answer to relay (the API's, whole or streaming, or the function's own refusal), or the daemon's refusal. */
export async function exchange(
  req: OutgoingRequest,
  deps: ExchangeDeps,
  signal?: AbortSignal,
): Promise<ProxyResponse | StreamedResponse | Refusal> {
  // One controller per request, its timer cleared and its listener removed as soon as the answer is in: with
  // AbortSignal.timeout()/any() everything an abort listener can reach (the invocation and its result, bodies
  // included) stays alive until the timer fires, so memory grew with the request rate (nodejs/node#48419).
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("the signer did not answer in time", "TimeoutError")),
    deps.timeoutMs,
  );
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  let outcome: InvokeOutcome;
  try {
    outcome = await deps.invoker.sign({ ...req, caller: deps.caller }, controller.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  if (isInvokeFailure(outcome)) {
    if (deps.metrics) recordInvokeError(deps.metrics, outcome.kind);
    if (outcome.kind === "function-error") {
      deps.debug?.(
        { errorType: outcome.errorType, errorMessage: withoutQueryStrings(outcome.errorMessage) },
        "the signer failed with a function error",
      );
    }
    const refusal = refusalForFailure(outcome);
    if (BREAKS_INVOKER.has(outcome.kind)) deps.health?.markBroken(refusal.message);
    return refusal;
  }
  deps.health?.markHealthy();
  // Streamed: status and headers are in; the body follows (the timer above covered the first byte only).
  return outcome.response;
}
