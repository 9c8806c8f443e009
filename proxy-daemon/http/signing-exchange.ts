/**
 * One request through the signer: event out, result back, failures as error responses. Shared by the proxy
 * server and the embedding API so both answer the same way.
 */

import { requestHeadersForUpstream } from "../../lambda/core/header-filter";
import type {
  CallerContext,
  HeaderPairs,
  ProxyRequest,
  ProxyResponse,
} from "../../lambda/core/proxy-request";
import { type Refusal, refuse } from "../../lambda/core/refusal";
import type { StreamedResponse } from "../../lambda/core/streamed-response";
import { decodeResult, encodeEvent, isCodecError } from "../../lambda/wire/event-codec";
import { type InvokeOutcome, type Invoker, isInvokeFailure } from "../invoke/invoker";
import type { Health } from "../observe/health";
import { type DaemonMetrics, recordInvokeError } from "../observe/metrics";
import { refusalForFailure } from "./error-responses";

export interface OutgoingRequest {
  method: string;
  /** Host (and port unless default) of the API: the function picks secrets by it and dials it. */
  authority: string;
  path: string;
  query: ProxyRequest["query"];
  /** The client's headers; hop-by-hop, Proxy-*, X-Forwarded-*, Via, Forwarded and Host are dropped here. */
  headers: HeaderPairs;
  body: Buffer;
}

export interface ExchangeDeps {
  invoker: Invoker;
  timeoutMs: number;
  caller: CallerContext;
  metrics?: DaemonMetrics;
  health?: Health;
}

/** Failures that say the invoker itself is broken, as opposed to this one request failing. */
const BREAKS_INVOKER = new Set(["unavailable"]);

export async function exchange(
  req: OutgoingRequest,
  deps: ExchangeDeps,
  signal?: AbortSignal,
): Promise<ProxyResponse | StreamedResponse | Refusal> {
  const headers: HeaderPairs = [["Host", req.authority], ...requestHeadersForUpstream(req.headers)];
  // The function recomputes framing; Content-Length tells it (and its audit log) the body size we read.
  if (req.body.length > 0) headers.push(["Content-Length", String(req.body.length)]);
  const event = encodeEvent(
    { method: req.method, path: req.path, query: req.query, headers, body: req.body },
    deps.caller,
  );

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
    outcome = await deps.invoker.invoke(event, controller.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  if (isInvokeFailure(outcome)) {
    if (deps.metrics) recordInvokeError(deps.metrics, outcome.kind);
    const refusal = refusalForFailure(outcome);
    if (BREAKS_INVOKER.has(outcome.kind)) deps.health?.markBroken(refusal.message);
    return refusal;
  }
  deps.health?.markHealthy();
  // Streamed: status and headers are in; the body follows (the timer above covered the first byte only).
  if (outcome.kind === "stream") return outcome.response;
  const decoded = decodeResult(outcome.result);
  if (isCodecError(decoded)) {
    if (deps.metrics) recordInvokeError(deps.metrics, "malformed-result");
    return refuse("signer-result-invalid", `the signer returned a malformed result: ${decoded.message}`);
  }
  return decoded;
}
