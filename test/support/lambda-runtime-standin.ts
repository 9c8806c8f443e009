/**
 * A stand-in for what the Node.js Lambda runtime (aws-lambda-nodejs-runtime-interface-client) gives a function
 * that streams: the `awslambda` global with `streamifyResponse(handler, { highWaterMark })` and
 * `HttpResponseStream.from(stream, prelude)`, and the writable response stream handed to the handler.
 * Behaviour kept from the runtime, because the function depends on it:
 * - `streamifyResponse` only marks the handler (Symbol.for("aws.lambda.runtime.handler.streaming") = "response");
 *   the handler is called as `handler(event, responseStream, context)` and must return a promise.
 * - `HttpResponseStream.from` sets the content type `application/vnd.awslambda.http-integration-response` and
 *   installs a hook that, on the FIRST write (not on end), writes `JSON.stringify(prelude)` then 8 NUL bytes.
 * - `setContentType` after the first write throws; non-bytes chunks are JSON-stringified.
 * - the invocation lasts until the stream has finished (a handler that returns without ending it runs into the
 *   timeout); a handler that rejects ends the stream with the error (Lambda's InvokeComplete ErrorCode).
 * - back-pressure: `write()` returns false once `highWaterMark` bytes wait for the network.
 */
import { Writable } from "node:stream";

export const HANDLER_STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
export const HANDLER_HIGHWATERMARK = Symbol.for("aws.lambda.runtime.handler.highWaterMark");
export const STREAM_RESPONSE = "response";
export const METADATA_PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const DELIMITER_LEN = 8;

/** Where the bytes go: the fake service turns each into a PayloadChunk (or keeps them for a plain Invoke). */
export interface ResponseSink {
  /** Resolves once the bytes are accepted downstream, which is how back-pressure reaches the handler. */
  write(chunk: Buffer, contentType: string): Promise<void>;
}

type WriteCallback = (error?: Error | null) => void;

export class ResponseStream extends Writable {
  #contentType = DEFAULT_CONTENT_TYPE;
  #started = false;
  /** Set by HttpResponseStream.from; called once with the raw write before the first chunk. */
  _onBeforeFirstWrite: ((write: (chunk: unknown) => void) => void) | undefined;

  constructor(
    private readonly sink: ResponseSink,
    highWaterMark?: number,
  ) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
  }

  get contentType(): string {
    return this.#contentType;
  }

  setContentType(contentType: string): void {
    if (this.#started) throw new Error("Cannot set content-type, too late.");
    this.#contentType = contentType;
  }

  override write(
    chunk: unknown,
    encoding?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    const data =
      typeof chunk === "string" || Buffer.isBuffer(chunk) || chunk instanceof Uint8Array
        ? chunk
        : JSON.stringify(chunk);
    if (!this.#started && typeof this._onBeforeFirstWrite === "function") {
      this._onBeforeFirstWrite((first) => {
        super.write(first);
      });
    }
    this.#started = true;
    if (typeof encoding === "function") return super.write(data, encoding);
    return encoding === undefined ? super.write(data, callback) : super.write(data, encoding, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.sink.write(chunk, this.#contentType).then(
      () => callback(),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

export const HttpResponseStream = {
  from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
    stream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(DELIMITER_LEN));
    };
    return stream;
  },
};

type AnyHandler = ((...args: unknown[]) => unknown) & {
  [HANDLER_STREAMING]?: string;
  [HANDLER_HIGHWATERMARK]?: number;
};

/** Installs `globalThis.awslambda` as the runtime does before it imports the function's module. */
export function installAwsLambdaGlobal(): void {
  (globalThis as { awslambda?: unknown }).awslambda = {
    streamifyResponse(handler: AnyHandler, options?: { highWaterMark?: number }) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === "number") handler[HANDLER_HIGHWATERMARK] = options.highWaterMark;
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === "function" && (handler as AnyHandler)[HANDLER_STREAMING] === STREAM_RESPONSE;
}

export function highWaterMarkOf(handler: unknown): number | undefined {
  return typeof handler === "function" ? (handler as AnyHandler)[HANDLER_HIGHWATERMARK] : undefined;
}

/**
 * Runs a streaming handler to the end of its stream. Resolves with nothing on success; rejects with the
 * handler's error (or the stream's) otherwise. The caller races it against the function's timeout.
 */
export async function runStreamingHandler(
  handler: (event: unknown, stream: ResponseStream, context: unknown) => unknown,
  event: unknown,
  context: unknown,
  stream: ResponseStream,
): Promise<void> {
  const finished = new Promise<void>((resolve, reject) => {
    stream.once("finish", () => resolve());
    stream.once("error", reject);
    stream.once("close", () => {
      if (!stream.writableFinished) reject(new Error("the response stream was destroyed before it ended"));
    });
  });
  // A rejection of `finished` before we await it must not count as unhandled.
  finished.catch(() => {});
  const returned = handler(event, stream, context);
  if (typeof (returned as Promise<unknown> | null)?.then !== "function") {
    throw new Error("Streaming does not support non-async handlers.");
  }
  const result = await returned;
  if (result !== undefined) console.warn("Streaming handlers ignore return values.");
  await finished;
}
