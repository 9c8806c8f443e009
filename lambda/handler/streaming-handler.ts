/**
 * The function as Lambda runs it when the runtime supports response streaming: one handler, wrapped by
 * `awslambda.streamifyResponse`, that knows how it was invoked from the event:
 * - `requestContext.responseMode: "stream"` (a daemon calling InvokeWithResponseStream): the API's answer is
 *   streamed as it arrives, scrubbed chunk by chunk, up to 200 MB: the metadata prelude, then the body.
 * - anything else (an ALB target, a plain Invoke from an older daemon): the buffered handler's ALB result,
 *   written as the whole payload (no prelude), so those callers get exactly what they got before, limits
 *   included. Lambda returns what a streamified function wrote as the Invoke payload.
 */
import type { InvocationContext } from "../core/proxy-request";
import { isStreamedResponse } from "../core/streamed-response";
import { type ScrubTally, scrubStreamed, scrubWhole } from "./answer-scrub";
import { bufferedHandler, finishLine, noteScrubbing } from "./handler";
import { createCore, type HandlerOptions } from "./handler-core";
import type { AwsLambdaGlobal, ResponseStream } from "./lambda-runtime";
import { stdoutSink } from "./request-log";
import { writeToResponseStream } from "./stream-writer";

export type StreamingHandler = (
  event: unknown,
  responseStream: ResponseStream,
  context?: InvocationContext,
) => Promise<void>;

function wantsStream(event: unknown): boolean {
  const context = (event as { requestContext?: { responseMode?: unknown } } | null)?.requestContext;
  return typeof context === "object" && context !== null && context.responseMode === "stream";
}

function writeWhole(responseStream: ResponseStream, payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    responseStream.setContentType("application/json");
    responseStream.once("error", reject);
    responseStream.end(payload, () => resolve());
  });
}

export function createStreamingHandler(options: HandlerOptions, runtime: AwsLambdaGlobal): StreamingHandler {
  const log = options.log ?? stdoutSink;
  const core = createCore(options);
  const buffered = bufferedHandler(core, log);

  const handler: StreamingHandler = async (event, responseStream, context) => {
    if (!wantsStream(event)) {
      await writeWhole(responseStream, JSON.stringify(await buffered(event, context)));
      return;
    }
    const answer = await core(event, context, true);
    const tally: ScrubTally = { count: 0 };
    const response = isStreamedResponse(answer.response)
      ? scrubStreamed(answer.response, answer.forms, tally)
      : scrubWhole(answer.response, answer.forms, tally);
    try {
      answer.line.bytes = await writeToResponseStream(runtime, responseStream, response);
    } catch (error) {
      // After the prelude: the runtime reports the rejection as the stream's error, and the daemon cuts its
      // client's connection. The message is the upstream failure's (host and code), never a value.
      answer.line.level = "warn";
      answer.line.error = `answer cut after its headers: ${(error as Error).message}`.slice(0, 300);
      throw new Error(answer.line.error);
    } finally {
      noteScrubbing(answer, tally, log);
      finishLine(answer, response.statusCode);
      log({ ...answer.line });
    }
  };
  return runtime.streamifyResponse(handler);
}
