// Hands the signer's answer to an undici handler, in the older callback API or the newer controller one.
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { ProxyResponse } from "../../lambda/core/proxy-request";
import { isStreamedResponse, type StreamedResponse } from "../../lambda/core/streamed-response";

/** The controller the newer (undici 7) handler API expects; pause and resume reach a streamed body. */
export class BufferedController implements Dispatcher.DispatchController {
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;
  rawHeaders?: string[];
  /** Set while a streamed body is being delivered. */
  body?: Readable;
  constructor(private readonly onAbort: (reason: Error) => void) {}
  get aborted() {
    return this.#aborted;
  }
  get paused() {
    return this.#paused;
  }
  get reason() {
    return this.#reason;
  }
  abort(reason: Error) {
    this.#aborted = true;
    this.#reason = reason;
    this.onAbort(reason);
    this.body?.destroy();
  }
  pause() {
    this.#paused = true;
    this.body?.pause();
  }
  resume() {
    this.#paused = false;
    this.body?.resume();
  }
}

/** Hands a streamed body to the handler chunk by chunk, pausing when it says so; errors end it abnormally. */
function pump(
  stream: Readable,
  onData: (chunk: Buffer) => boolean,
  onEnd: () => void,
  onError: (err: Error) => void,
) {
  stream.on("data", (chunk: Buffer) => {
    if (!onData(chunk)) stream.pause();
  });
  stream.once("end", onEnd);
  stream.once("error", (err) => onError(err));
}

/** Delivers status, headers and body (buffered or streamed); HEAD answers carry no body. */
export function deliverResponse(
  opts: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
  controller: BufferedController,
  legacy: boolean,
  response: ProxyResponse | StreamedResponse,
): void {
  const { statusCode, headers } = response;
  const streamed = isStreamedResponse(response) ? response.stream : undefined;
  if (streamed && opts.method === "HEAD") streamed.destroy();
  const body =
    opts.method === "HEAD" ? Buffer.alloc(0) : streamed ? undefined : (response as ProxyResponse).body;
  const statusText = "";
  if (legacy) {
    const raw: Buffer[] = [];
    for (const [name, value] of headers) raw.push(Buffer.from(name, "latin1"), Buffer.from(value, "latin1"));
    handler.onResponseStarted?.();
    handler.onHeaders?.(statusCode, raw, () => streamed?.resume(), statusText);
    if (body === undefined && streamed) {
      // The older API pauses by returning false from onData and resumes through onHeaders' callback.
      pump(
        streamed,
        (chunk) => handler.onData?.(chunk) !== false,
        () => handler.onComplete?.([]),
        (err) => handler.onError?.(err),
      );
      return;
    }
    if (body && body.length > 0) handler.onData?.(body);
    handler.onComplete?.([]);
    return;
  }
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const existing = record[key];
    record[key] =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  controller.rawHeaders = headers.flat();
  handler.onResponseStart?.(controller, statusCode, record, statusText);
  if (body === undefined && streamed) {
    controller.body = streamed;
    pump(
      streamed,
      (chunk) => {
        handler.onResponseData?.(controller, chunk);
        return !controller.paused;
      },
      () => handler.onResponseEnd?.(controller, {}),
      (err) => handler.onResponseError?.(controller, err),
    );
    return;
  }
  if (body && body.length > 0) handler.onResponseData?.(controller, body);
  handler.onResponseEnd?.(controller, {});
}
