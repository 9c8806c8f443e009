/** Prometheus metrics on a registry of our own (embedders' default registries stay untouched). */

import type { InvokeFailureKind } from "../invoke/invoker";
import { Counter, Gauge, Histogram, Registry } from "./prometheus";

export interface DaemonMetrics {
  registry: Registry;
  requests: Counter<"status">;
  duration: Histogram<"status">;
  inFlight: Gauge;
  invokeErrors: Counter<"type">;
  /** Own answers by refusal code: decisions counted, not just statuses (the function's codes included). */
  refusals: Counter<"code">;
}

export function createMetrics(): DaemonMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "ssm_sign_proxy_requests_total",
    help: "Requests answered by the daemon, by HTTP status.",
    labelNames: ["status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "ssm_sign_proxy_request_duration_seconds",
    help: "Time from request to complete response, by HTTP status.",
    labelNames: ["status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "ssm_sign_proxy_requests_in_flight",
    help: "Requests being signed or forwarded right now.",
    registers: [registry],
  });
  const invokeErrors = new Counter({
    name: "ssm_sign_proxy_invoke_errors_total",
    help: "Invocations of the signer that produced no result, by failure type.",
    labelNames: ["type"],
    registers: [registry],
  });
  const refusals = new Counter({
    name: "ssm_sign_proxy_refusals_total",
    help: "Answers the proxy made itself (daemon or function), by refusal code (the x-ssm-sign-proxy-error value).",
    labelNames: ["code"],
    registers: [registry],
  });
  return { registry, requests, duration, inFlight, invokeErrors, refusals };
}

export function recordInvokeError(metrics: DaemonMetrics, kind: InvokeFailureKind): void {
  metrics.invokeErrors.inc({ type: kind });
}
