/** The daemon's own pages, for origin-form requests addressed to the daemon itself. */
import type { ProxyResponse } from "../../lambda/core/proxy-request";
import { type Refusal, refuse } from "../../lambda/core/refusal";
import type { Health } from "../observe/health";
import type { DaemonMetrics } from "../observe/metrics";

export async function ownPage(
  method: string,
  path: string,
  health: Health,
  metrics: DaemonMetrics,
): Promise<ProxyResponse | Refusal> {
  if (method !== "GET" && method !== "HEAD") {
    return refuse("method-not-allowed", `the daemon's own pages answer GET only, not ${method}`, [
      ["Allow", "GET, HEAD"],
    ]);
  }
  if (path === "/healthz") {
    const snap = health.snapshot();
    const body = Buffer.from(`${JSON.stringify(snap)}\n`, "utf8");
    return {
      statusCode: snap.status === "ok" ? 200 : 503,
      headers: [
        ["Content-Type", "application/json"],
        ["Content-Length", String(body.length)],
        ["Cache-Control", "no-store"],
      ],
      body,
    };
  }
  if (path === "/metrics") {
    const body = Buffer.from(await metrics.registry.metrics(), "utf8");
    return {
      statusCode: 200,
      headers: [
        ["Content-Type", metrics.registry.contentType],
        ["Content-Length", String(body.length)],
      ],
      body,
    };
  }
  return refuse(
    "page-not-found",
    `no daemon page ${JSON.stringify(path.slice(0, 80))}: try /healthz or /metrics, or set http_proxy to send requests to other hosts`,
  );
}
