/**
 * The buffered function: ALB event in, ALB result out (an ALB target, a plain Invoke, --local). The answer,
 * scrubbed of injected values, is encoded whole, under the ALB (1 MB) or Invoke (6 MB) limit.
 */
import type { AlbResult, InvocationContext, ProxyResponse } from "../core/proxy-request";
import { encodeResult } from "../wire/event-codec";
import { firstEncodedBodyFor, type ScrubTally, scrubWhole } from "./answer-scrub";
import { type CoreAnswer, createCore, type HandlerOptions } from "./handler-core";
import { type LogSink, stdoutSink } from "./request-log";

export type { HandlerOptions } from "./handler-core";

export type Handler = (event: unknown, context?: InvocationContext) => Promise<AlbResult>;

/** Adds the scrub count (and a once-per-host note on content-coded bodies) to the request's log line. */
export function noteScrubbing(answer: CoreAnswer, tally: ScrubTally, log: LogSink): void {
  if (answer.forms.length === 0) return;
  answer.line.scrubbed = tally.count;
  if (tally.encodedBody !== undefined && answer.line.host && firstEncodedBodyFor(answer.line.host)) {
    log({
      level: "warn",
      msg: "answers with a Content-Encoding are not scrubbed (compressed bytes cannot be searched)",
      host: answer.line.host,
      encoding: tally.encodedBody,
    });
  }
}

export function finishLine(answer: CoreAnswer, status: number): void {
  answer.line.status = status;
  answer.line.totalMs = Math.round((performance.now() - answer.started) * 10) / 10;
}

export function bufferedHandler(core: ReturnType<typeof createCore>, log: LogSink): Handler {
  return async function handler(event, context) {
    const answer = await core(event, context, false);
    const tally: ScrubTally = { count: 0 };
    // The core was asked for a whole answer.
    const response = scrubWhole(answer.response as ProxyResponse, answer.forms, tally);
    noteScrubbing(answer, tally, log);
    finishLine(answer, response.statusCode);
    log({ ...answer.line });
    return encodeResult(response, answer.multiValue);
  };
}

export function createHandler(options: HandlerOptions): Handler {
  return bufferedHandler(createCore(options), options.log ?? stdoutSink);
}
