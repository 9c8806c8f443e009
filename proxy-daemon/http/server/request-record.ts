/**
 * What every finished request leaves behind: its metrics and its log line, and the release of the memory it
 * held once the socket has taken the answer. Shared by plain requests and CONNECT tunnels.
 */
import type { ServerResponse } from "node:http";
import type { RefusalCode } from "../../../lambda/core/refusal";
import type { Logger } from "../../observe/logger";
import type { DaemonMetrics } from "../../observe/metrics";
import type { Ticket } from "../memory-budget";

export type RecordRequest = (
  method: string,
  host: string,
  status: number,
  started: number,
  code: RefusalCode | undefined,
) => void;

/** Counts and logs one request; `started` is its performance.now(). */
export function requestRecorder(metrics: DaemonMetrics, log: Logger, mode: string): RecordRequest {
  return (method, host, status, started, code) => {
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ status: String(status) });
    metrics.duration.observe({ status: String(status) }, seconds);
    if (code !== undefined) metrics.refusals.inc({ code });
    const fields = { method, host, status, ms: Math.round(seconds * 10000) / 10, mode };
    log.info(code === undefined ? fields : { ...fields, code }, "request");
  };
}

/** The bodies are held until the socket has taken the whole answer (or the client is gone). */
export function releaseWhenWritten(res: ServerResponse, held: Ticket | undefined): void {
  if (!held) return;
  if (res.writableFinished || res.destroyed) held.release();
  else {
    res.once("finish", () => held.release());
    res.once("close", () => held.release());
  }
}
