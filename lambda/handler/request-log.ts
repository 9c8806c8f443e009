/**
 * One structured JSON line per request, to stdout (CloudWatch Logs in Lambda, the daemon's logger locally).
 * Only names, sizes and timings: no parameter value, no rewritten path, no query string ever goes in here.
 */
import type { CallerContext } from "../core/proxy-request";
import type { RefusalCode } from "../core/refusal";
import type { CacheOutcome } from "../parameters/expirable-cache";
import type { SigningKind } from "../signing/signing-rules";

export interface RequestLogLine {
  level: "info" | "warn" | "error";
  msg: string;
  requestId?: string;
  method?: string;
  host?: string;
  /** The path as the client sent it, without its query. */
  path?: string;
  status: number;
  /** The refusal code of an own answer (the marker's value); absent when the API's answer is relayed. */
  code?: RefusalCode;
  upstreamMs?: number;
  totalMs: number;
  cache?: CacheOutcome;
  applied?: SigningKind[];
  caller?: CallerContext;
  error?: string;
  /** Injected values replaced in the answer (headers and body); absent when scrubbing is off. */
  scrubbed?: number;
  /** Body bytes of a streamed answer. */
  bytes?: number;
}

export type LogSink = (line: Record<string, unknown>) => void;

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
};
