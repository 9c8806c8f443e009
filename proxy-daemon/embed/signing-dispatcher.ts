/**
 * An undici Dispatcher that sends every request through the signer instead of the network: the Node
 * counterpart of the original's `http.RoundTripper`. Use it per request (`fetch(url, { dispatcher })`) or
 * for the whole process (`setGlobalDispatcher`). Both http:// and https:// URLs are accepted: either way the
 * signer calls the API over HTTPS. Requests are buffered (bodies up to `maxBodyBytes`), like the daemon's.
 */
import { hostname } from "node:os";
import type { Readable } from "node:stream";
import { Dispatcher } from "undici";
import { isHostError, parseHost, type UpstreamHost } from "../../lambda/core/host-key";
import type { HeaderPairs, ProxyResponse } from "../../lambda/core/proxy-request";
import {
  isRefusal,
  type Refusal,
  type RefusalCode,
  refusalCodeOf,
  refusalResponse,
  refuse,
} from "../../lambda/core/refusal";
import { isStreamedResponse, type StreamedResponse } from "../../lambda/core/streamed-response";
import { splitPathAndQuery } from "../http/request-target";
import { exchange } from "../http/signing-exchange";
import { type ResolvedSigner, type SignerOptions, setUpSigner } from "./signer-setup";

/**
 * The signer refused to sign (407: no parameters for the host); `message` says which parameter to create and
 * `code` is the refusal code (the `x-ssm-sign-proxy-error` value), e.g. `no-parameters`.
 */
export class SigningError extends Error {
  override readonly name = "SigningError";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: RefusalCode,
  ) {
    super(message);
  }
}

type Body = Dispatcher.DispatchOptions["body"];

async function collectBody(body: Body, maxBytes: number): Promise<Buffer | Refusal> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      size += buf.length;
      if (size > maxBytes)
        return refuse("body-too-large", `request body is over the maxBodyBytes limit of ${maxBytes} bytes`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks, size);
  }
  return refuse("body-type-unsupported", "unsupported request body type: use a string, bytes or a stream");
}

function headerPairs(headers: Dispatcher.DispatchOptions["headers"]): HeaderPairs {
  const pairs: HeaderPairs = [];
  const push = (name: string, value: string | string[] | number | undefined | null) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)]);
    else pairs.push([name, String(value)]);
  };
  if (!headers) return pairs;
  if (Array.isArray(headers)) {
    // Either a flat [name, value, name, value] list or a list of pairs.
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as Array<[string, string]>) push(name, value);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) push(String(headers[i]), headers[i + 1]);
    }
    return pairs;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>)
      push(name, value);
    return pairs;
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>))
    push(name, value);
  return pairs;
}

/** Where a dispatched request goes: `origin` + `path`. Only http(s) URLs name an API the signer can call. */
function targetOf(opts: Dispatcher.DispatchOptions): { host: UpstreamHost; pathAndQuery: string } | Refusal {
  let origin: URL;
  try {
    origin = new URL(String(opts.origin ?? ""));
  } catch {
    return refuse("request-target-invalid", `invalid origin ${JSON.stringify(String(opts.origin ?? ""))}`);
  }
  if (origin.protocol !== "http:" && origin.protocol !== "https:") {
    return refuse(
      "scheme-unsupported",
      `unsupported URL scheme ${origin.protocol}: only http:// and https:// URLs can be signed`,
    );
  }
  if (origin.username || origin.password)
    return refuse("userinfo-refused", "URLs with userinfo are refused; put credentials in Parameter Store");
  // URL drops the scheme's default port (80/443): either way the signer's default, HTTPS on 443.
  const host = parseHost(origin.host);
  if (isHostError(host)) return refuse("host-invalid", host.message);
  return { host, pathAndQuery: opts.path || "/" };
}

/** The controller the newer (undici 7) handler API expects; pause and resume reach a streamed body. */
class BufferedController implements Dispatcher.DispatchController {
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

async function textOf(response: ProxyResponse | StreamedResponse): Promise<string> {
  if (!isStreamedResponse(response)) return response.body.toString("utf8").trim();
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8").trim();
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

export class SigningDispatcher extends Dispatcher {
  readonly #signer: Promise<ResolvedSigner>;
  readonly #caller = { hostname: hostname(), mode: "embedded" };
  #closed = false;

  constructor(options: SignerOptions) {
    super();
    this.#signer = setUpSigner(options);
    // Surfaced on the first request; do not crash the process with an unhandled rejection meanwhile.
    this.#signer.catch(() => {});
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    void this.#run(opts, handler);
    return true;
  }

  async #run(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): Promise<void> {
    const abort = new AbortController();
    const controller = new BufferedController((reason) => abort.abort(reason));
    // Node's built-in fetch (and undici's own fetch) still speak the older callback API.
    const legacy = typeof handler.onRequestStart !== "function";
    const fail = (err: Error) => {
      if (legacy) handler.onError?.(err);
      else handler.onResponseError?.(controller, err);
    };
    try {
      if (this.#closed) throw new SigningError(503, "the signing dispatcher is closed", "signer-unavailable");
      if (legacy) handler.onConnect?.((err?: Error) => abort.abort(err ?? new Error("aborted")));
      else handler.onRequestStart?.(controller, {});
      const response = await this.#respond(opts, abort.signal);
      // The caller may abort while a streamed body is still arriving: stop reading it (and the signer).
      if (isStreamedResponse(response)) {
        abort.signal.addEventListener("abort", () => response.stream.destroy(), { once: true });
        if (abort.signal.aborted) response.stream.destroy();
      }
      if (abort.signal.aborted)
        throw abort.signal.reason instanceof Error ? abort.signal.reason : new Error("aborted");
      // fetch turns any 407 into a bare "fetch failed" (Fetch standard, HTTP-network-or-cache fetch step 15);
      // as an error the reason survives, as `cause` with fetch and as the rejection with undici.request.
      if (response.statusCode === 407) {
        const code = refusalCodeOf(response.headers);
        throw new SigningError(407, await textOf(response), code);
      }
      this.#deliver(opts, handler, controller, legacy, response);
    } catch (err) {
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async #respond(
    opts: Dispatcher.DispatchOptions,
    signal: AbortSignal,
  ): Promise<ProxyResponse | StreamedResponse> {
    const signer = await this.#signer;
    const target = targetOf(opts);
    if (isRefusal(target)) return refusalResponse(target);
    const body = await collectBody(opts.body, signer.maxBodyBytes);
    if (!Buffer.isBuffer(body)) return refusalResponse(body);
    const { path, query } = splitPathAndQuery(target.pathAndQuery);
    const answer = await exchange(
      {
        method: opts.method,
        host: target.host,
        path,
        query,
        headers: headerPairs(opts.headers),
        body,
      },
      { invoker: signer.invoker, timeoutMs: signer.timeoutSeconds * 1000, caller: { ...this.#caller } },
      signal,
    );
    return isRefusal(answer) ? refusalResponse(answer) : answer;
  }

  #deliver(
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
      for (const [name, value] of headers)
        raw.push(Buffer.from(name, "latin1"), Buffer.from(value, "latin1"));
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

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const done = this.#signer.then(
      (s) => s.invoker.close(),
      () => {},
    );
    if (callback) {
      void done.then(callback);
      return;
    }
    return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const cb = typeof errOrCallback === "function" ? errOrCallback : callback;
    if (cb) {
      this.close(cb);
      return;
    }
    return this.close();
  }
}

/** A Dispatcher that signs through the function (`functionName`) or a parameter file (`local`). */
export function createSigningDispatcher(options: SignerOptions): SigningDispatcher {
  return new SigningDispatcher(options);
}
