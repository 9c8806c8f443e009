/**
 * Writes an answer into Lambda's response stream: the metadata prelude (status and headers, through
 * `HttpResponseStream.from`), then the body with back-pressure (a chunk is read from the API only once the
 * stream has taken the previous one). A body that fails midway rejects, so the handler rejects and the runtime
 * ends the stream with an error (InvokeComplete ErrorCode): the daemon then cuts its client's connection.
 * The response stream is never destroyed here, which would lose that error report.
 */
import type { ProxyResponse } from "../core/proxy-request";
import type { StreamedResponse } from "../core/streamed-response";
import { isStreamedResponse } from "../core/streamed-response";
import { preludeOf } from "../wire/stream-prelude";
import type { AwsLambdaGlobal, ResponseStream } from "./lambda-runtime";

function drained(stream: ResponseStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (error: Error) => done(error);
    const onClose = () => done(new Error("the response stream closed"));
    stream.once("drain", onDrain);
    stream.once("error", onError);
    stream.once("close", onClose);
  });
}

function ended(stream: ResponseStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.end(() => resolve());
    stream.once("error", reject);
  });
}

/** Resolves with the body bytes written; rejects if the body (or the stream) failed. */
export async function writeToResponseStream(
  runtime: AwsLambdaGlobal,
  responseStream: ResponseStream,
  response: ProxyResponse | StreamedResponse,
): Promise<number> {
  const http = runtime.HttpResponseStream.from(
    responseStream,
    preludeOf(response.statusCode, response.headers) as unknown as Record<string, unknown>,
  );
  // The runtime writes the prelude on the first write, not on end: an empty first write sends the status and
  // headers at once (an event stream's client must not wait for its first event to see them).
  http.write(Buffer.alloc(0));
  if (!isStreamedResponse(response)) {
    if (response.body.length > 0) http.write(response.body);
    await ended(http);
    return response.body.length;
  }
  let bytes = 0;
  for await (const chunk of response.stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (!http.write(chunk)) await drained(http);
  }
  await ended(http);
  return bytes;
}
