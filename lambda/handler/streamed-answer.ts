/**
 * The core's last step for every answer: scrub it of the injected values (answer-scrub.ts) and write the
 * request's log line. A whole answer is logged at once; a streamed one when its body has ended, or failed (level
 * warn, with the failure's message: host and code, never a value), with the bytes relayed.
 */
import { Transform } from "node:stream";
import type { ProxyResponse } from "../core/proxy-request";
import { isStreamedResponse, type StreamedResponse } from "../core/streamed-response";
import { firstEncodedBodyFor, type ScrubTally, scrubStreamed, scrubWhole } from "./answer-scrub";
import type { LogSink, RequestLogLine } from "./request-log";

export interface Finishing {
  line: RequestLogLine;
  started: number;
  /** Every spelling of every injected value (empty: nothing injected, or scrubbing off). */
  forms: readonly string[];
  /** Whether scrubbing is on (the count goes in the log line only then). */
  scrub: boolean;
  log: LogSink;
}

function logLine(f: Finishing, tally: ScrubTally, status: number): void {
  if (f.scrub && f.line.applied) f.line.scrubbed = tally.count;
  if (tally.encodedBody !== undefined && f.line.host && firstEncodedBodyFor(f.line.host)) {
    f.log({
      level: "warn",
      msg: "answers with a Content-Encoding are not scrubbed (compressed bytes cannot be searched)",
      host: f.line.host,
      encoding: tally.encodedBody,
    });
  }
  f.line.status = status;
  f.line.totalMs = Math.round((performance.now() - f.started) * 10) / 10;
  f.log(f.line as unknown as Record<string, unknown>);
}

export function finishAnswer(response: ProxyResponse, f: Finishing): ProxyResponse;
export function finishAnswer(
  response: ProxyResponse | StreamedResponse,
  f: Finishing,
): ProxyResponse | StreamedResponse;
export function finishAnswer(
  response: ProxyResponse | StreamedResponse,
  f: Finishing,
): ProxyResponse | StreamedResponse {
  const tally: ScrubTally = { count: 0 };
  if (!isStreamedResponse(response)) {
    const whole = scrubWhole(response, f.forms, tally);
    logLine(f, tally, whole.statusCode);
    return whole;
  }
  const scrubbed = scrubStreamed(response, f.forms, tally);
  const source = scrubbed.stream;
  let bytes = 0;
  let logged = false;
  const once = (error?: Error) => {
    if (logged) return;
    logged = true;
    f.line.bytes = bytes;
    if (error) {
      f.line.level = "warn";
      f.line.error = `answer cut after its headers: ${error.message}`.slice(0, 300);
    }
    logLine(f, tally, scrubbed.statusCode);
  };
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      once();
      callback();
    },
    destroy(error, callback) {
      source.destroy();
      once(error ?? (counted.writableFinished ? undefined : new Error("the reader went away")));
      callback(error);
    },
  });
  source.on("error", (error) => counted.destroy(error));
  source.pipe(counted);
  return { ...scrubbed, stream: counted };
}
