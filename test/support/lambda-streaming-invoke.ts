/**
 * The fake service's side of `POST /2021-11-15/functions/{name}/response-streaming-invocations`: runs the
 * handler and writes its stream as event-stream messages (lambda-event-stream.ts), honouring back-pressure:
 * a chunk is accepted from the function only once the HTTP response has taken the previous one.
 *
 * As the service does: 200 with headers once the function writes its first bytes (or ends), `Content-Type`
 * carrying the function's stream content type (the SDK's `ResponseStreamContentType`), one PayloadChunk per
 * write, then InvokeComplete (with ErrorCode/ErrorDetails when the function failed or timed out). A handler
 * that is not streamified has its JSON result sent as one chunk. Past `maxBytes` the stream ends with
 * Function.ResponseSizeTooLarge.
 */
import type { ServerResponse } from "node:http";
import { errorMessage, invokeComplete, payloadChunk } from "./lambda-event-stream";
import {
  highWaterMarkOf,
  isStreamingHandler,
  ResponseStream,
  runStreamingHandler,
} from "./lambda-runtime-standin";

export type AnyHandler = (...args: unknown[]) => unknown;

export interface StreamedInvocation {
  responseSize: number;
  /** The InvokeComplete ErrorCode, when there was one. */
  errorCode: string | null;
}

export interface StreamOptions {
  timeoutMs: number;
  maxBytes: number;
  headers: Record<string, string>;
  /** Fault: after the first PayloadChunk, end the stream with a service error event instead. */
  serviceErrorAfterFirstChunk?: boolean;
  describeError(err: unknown): { errorType: string; errorMessage: string; trace: string[] };
  /** Runs a non-streaming handler the buffered way: its JSON result, or the error it failed with. */
  runBuffered(): Promise<{ body: string } | { errorType: string; errorMessage: string; trace: string[] }>;
}

function writeWithDrain(res: ServerResponse, bytes: Buffer): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error("the invoker closed the connection"));
  if (res.write(bytes)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      res.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      res.off("drain", onDrain);
      reject(new Error("the invoker closed the connection"));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

export async function streamInvocation(
  res: ServerResponse,
  handler: AnyHandler,
  event: unknown,
  context: unknown,
  options: StreamOptions,
): Promise<StreamedInvocation> {
  let size = 0;
  let headersSent = false;
  const sendHeaders = (contentType: string) => {
    if (headersSent) return;
    headersSent = true;
    res.writeHead(200, { ...options.headers, "content-type": contentType });
  };
  const complete = (error?: { code: string; details: string }) => {
    sendHeaders("application/octet-stream");
    res.end(invokeComplete(error));
    return { responseSize: size, errorCode: error?.code ?? null };
  };

  if (!isStreamingHandler(handler)) {
    const outcome = await options.runBuffered();
    if ("body" in outcome) {
      sendHeaders("application/json");
      size = Buffer.byteLength(outcome.body);
      await writeWithDrain(res, payloadChunk(Buffer.from(outcome.body, "utf8")));
      return complete();
    }
    return complete({ code: outcome.errorType, details: JSON.stringify(outcome) });
  }

  let tooLarge = false;
  const stream = new ResponseStream(
    {
      async write(chunk, contentType) {
        size += chunk.length;
        if (size > options.maxBytes) {
          tooLarge = true;
          throw new Error("response too large");
        }
        sendHeaders(contentType);
        await writeWithDrain(res, payloadChunk(chunk));
        if (options.serviceErrorAfterFirstChunk && !res.writableEnded) {
          res.end(
            errorMessage("ServiceException", "Lambda was unable to complete the stream (injected fault)"),
          );
        }
        if (res.writableEnded) throw new Error("the stream was ended by a service error");
      },
    },
    highWaterMarkOf(handler),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  try {
    const outcome = await Promise.race([runStreamingHandler(handler, event, context, stream), timedOut]);
    if (outcome === "timeout") {
      stream.destroy();
      const seconds = (options.timeoutMs / 1000).toFixed(2);
      return complete({ code: "Sandbox.Timedout", details: `Task timed out after ${seconds} seconds` });
    }
    sendHeaders(stream.contentType);
    return complete();
  } catch (err) {
    if (res.writableEnded) return { responseSize: size, errorCode: "ServiceException" };
    if (res.destroyed) return { responseSize: size, errorCode: "ClientDisconnected" };
    if (tooLarge) {
      return complete({
        code: "Function.ResponseSizeTooLarge",
        details: `Response payload size exceeded maximum allowed payload size (${options.maxBytes} bytes).`,
      });
    }
    const described = options.describeError(err);
    return complete({ code: described.errorType, details: JSON.stringify(described) });
  } finally {
    clearTimeout(timer);
  }
}
