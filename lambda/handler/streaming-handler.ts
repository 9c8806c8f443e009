/**
 * The function as Lambda runs it when the runtime supports response streaming: one handler, wrapped by
 * `awslambda.streamifyResponse`, that knows how it was invoked from the event:
 * - `requestContext.responseMode: "stream"` (a daemon calling InvokeWithResponseStream): the API's answer is
 *   streamed as it arrives, scrubbed chunk by chunk, up to 200 MB: the metadata prelude, then the body.
 * - anything else (an ALB target, a plain Invoke from an older daemon): the buffered handler's ALB result,
 *   written as the whole payload (no prelude), so those callers get exactly what they got before, limits
 *   included. Lambda returns what a streamified function wrote as the Invoke payload.
 */
import { STREAM_MAX_BODY } from "../core/limits";
import type { InvocationContext } from "../core/proxy-request";
import { createSigningCore } from "./core";
import { createHandler, eventPreparer, type HandlerOptions } from "./handler";
import type { AwsLambdaGlobal, ResponseStream } from "./lambda-runtime";
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
  const sign = createSigningCore(options);
  const buffered = createHandler(options, sign);
  const prepare = eventPreparer(options);

  const handler: StreamingHandler = async (event, responseStream, context) => {
    if (!wantsStream(event)) {
      await writeWhole(responseStream, JSON.stringify(await buffered(event, context)));
      return;
    }
    const prepared = prepare(event, context);
    const response =
      "refusal" in prepared
        ? prepared.refusal
        : await sign(prepared.request, {
            ...prepared.limits,
            maxResponseBytes: STREAM_MAX_BODY,
            stream: true,
          });
    try {
      await writeToResponseStream(runtime, responseStream, response);
    } catch (error) {
      // After the prelude: the runtime reports the rejection as the stream's error (InvokeComplete ErrorCode),
      // and the daemon cuts its client's connection. The core has logged it (host and code, never a value).
      throw new Error(`answer cut after its headers: ${(error as Error).message}`.slice(0, 300));
    }
  };
  return runtime.streamifyResponse(handler);
}
