/**
 * The core's answer made ready to relay as it streams, for callers that run the function in-process (--local,
 * the embedding API): scrubbed (answer-scrub.ts), and with the request's log line written when the body has
 * ended, or failed (level warn, the failure's message: host and code, never a value).
 */
import { Transform } from "node:stream";
import type { ProxyResponse } from "../core/proxy-request";
import { isStreamedResponse, type StreamedResponse } from "../core/streamed-response";
import { type ScrubTally, scrubStreamed, scrubWhole } from "./answer-scrub";
import { finishLine, noteScrubbing } from "./handler";
import type { CoreAnswer } from "./handler-core";
import type { LogSink } from "./request-log";

export function relayable(answer: CoreAnswer, log: LogSink): ProxyResponse | StreamedResponse {
  const tally: ScrubTally = { count: 0 };
  const done = (status: number) => {
    noteScrubbing(answer, tally, log);
    finishLine(answer, status);
    log({ ...answer.line });
  };
  if (!isStreamedResponse(answer.response)) {
    const response = scrubWhole(answer.response, answer.forms, tally);
    done(response.statusCode);
    return response;
  }
  const scrubbed = scrubStreamed(answer.response, answer.forms, tally);
  const source = scrubbed.stream;
  let bytes = 0;
  let logged = false;
  const once = (error?: Error) => {
    if (logged) return;
    logged = true;
    answer.line.bytes = bytes;
    if (error) {
      answer.line.level = "warn";
      answer.line.error = `answer cut after its headers: ${error.message}`.slice(0, 300);
    }
    done(scrubbed.statusCode);
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
      once(error ?? new Error("the client went away"));
      callback(error);
    },
  });
  source.on("error", (error) => counted.destroy(error));
  source.pipe(counted);
  return { ...scrubbed, stream: counted };
}
