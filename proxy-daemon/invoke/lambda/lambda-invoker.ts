/**
 * Lambda mode: one synchronous Invoke per request. Lambda's own signals become typed failures: the
 * `X-Amz-Function-Error` header (the function threw or timed out), and the service errors the SDK raises
 * after its retries (throttling, missing function, missing permission).
 */
import { Readable } from "node:stream";
import { InvokeCommand, InvokeWithResponseStreamCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { requestHeadersForUpstream, responseHeadersForClient } from "../../../lambda/core/header-filter";
import type { HeaderPairs, SignRequest } from "../../../lambda/core/proxy-request";
import { decodeResult, encodeEvent, isCodecError } from "../../../lambda/wire/event-codec";
import type { InvokeFailure, InvokeOutcome, Invoker, InvokeStream } from "../invoker";
import { FunctionStreamError } from "./event-stream-reader";
import { DirectInvokeTransport, type InvokeTransport } from "./lambda-invoke-api";
import { outcomeFromStream } from "./stream-outcome";

interface ServiceErrorShape {
  name?: string;
  message?: string;
  retryAfterSeconds?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

export function describeFunctionError(
  functionName: string,
  payload: Uint8Array | undefined,
  header: string,
): InvokeFailure {
  let errorType = header;
  const text = Buffer.from(payload ?? new Uint8Array())
    .toString("utf8")
    .trim();
  // InvokeComplete's ErrorDetails may be plain text ("Task timed out after 3.00 seconds").
  let errorMessage =
    text !== "" && !text.startsWith("{") ? text.slice(0, 500) : "the function failed without a message";
  try {
    const parsed = JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString("utf8")) as {
      errorType?: unknown;
      errorMessage?: unknown;
    };
    if (typeof parsed.errorType === "string") errorType = parsed.errorType;
    if (typeof parsed.errorMessage === "string") errorMessage = parsed.errorMessage;
  } catch {
    // Not JSON: keep the header's error kind.
  }
  if (
    errorType === "Function.ResponseSizeTooLarge" ||
    /response payload size .* exceeded/i.test(errorMessage)
  ) {
    return { kind: "response-too-large", message: `${functionName}: ${errorMessage}` };
  }
  if (errorType === "Sandbox.Timedout" || /Task timed out/i.test(errorMessage)) {
    return { kind: "timeout", message: `function ${functionName} timed out: ${errorMessage}` };
  }
  return { kind: "function-error", errorType, errorMessage };
}

/** SDK exceptions -> failures. Messages name the function and the cause, never request contents. */
export function failureFromError(
  functionName: string,
  err: unknown,
  timeoutSeconds: number,
  aborted: boolean,
): InvokeFailure {
  const e = (err ?? {}) as ServiceErrorShape;
  const name = e.name ?? "Error";
  const message = e.message ?? String(err);
  if (aborted || name === "AbortError" || name === "TimeoutError") {
    return { kind: "timeout", message: `no answer from function ${functionName} within ${timeoutSeconds} s` };
  }
  // Lambda's payload quota answers 413 under more than one error name.
  if (e.$metadata?.httpStatusCode === 413) return { kind: "request-too-large", message };
  switch (name) {
    case "TooManyRequestsException": {
      const fromHeader = e.$response?.headers?.["retry-after"];
      const seconds = Number(e.retryAfterSeconds ?? fromHeader ?? 1);
      return {
        kind: "throttled",
        message: `Lambda throttled function ${functionName} (${message})`,
        retryAfterSeconds: Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1,
      };
    }
    case "RequestTooLargeException":
    case "RequestEntityTooLargeException":
      return { kind: "request-too-large", message };
    case "ResourceNotFoundException":
      return { kind: "unavailable", message: `function ${functionName} not found (${message})` };
    case "AccessDeniedException":
    case "AccessDenied":
      return {
        kind: "unavailable",
        message: `not allowed to call lambda:InvokeFunction on ${functionName} (${message})`,
      };
    default:
      return { kind: "unavailable", message: `invoking ${functionName} failed: ${name}: ${message}` };
  }
}

export interface LambdaInvokerOptions {
  client: LambdaClient;
  functionName: string;
  timeoutSeconds: number;
  /** Whether close() destroys the client (not when the caller brought their own). @default true */
  ownsClient?: boolean;
  /**
   * Send the Invoke directly (lambda-invoke-api.ts) with the client's credentials, region and attempts, instead of
   * through the SDK's middleware stack. For clients the daemon builds itself; a caller's own client may carry
   * middleware of its own, so it goes through the SDK. @default false
   */
  direct?: boolean;
  /**
   * Builds a client with freshly resolved credentials. Called when Lambda rejects the current ones as expired
   * (a revoked session, a clock jump, a token file rotated early): the SDK neither retries that error nor
   * refreshes credentials it still believes valid, so without this the daemon would answer 503 until its
   * scheduled refresh, up to an hour later.
   */
  renewClient?: () => LambdaClient;
  /**
   * Call InvokeWithResponseStream, so answers stream (up to 200 MB) instead of being buffered (6 MB). A function
   * deployed before streaming answers it with its whole result, which is read as before. @default true
   */
  streaming?: boolean;
}

/** Lambda's answers to credentials that have expired (as opposed to credentials that were never valid). */
const EXPIRED_CREDENTIALS = new Set(["ExpiredTokenException", "ExpiredToken", "RequestExpired"]);

/** What came back from one Invoke: a result payload, not yet validated, a started stream, or a failure. */
export type RawOutcome = { kind: "result"; result: unknown } | InvokeStream | InvokeFailure;
type Attempt = RawOutcome | { kind: "expired-credentials"; error: unknown };

/**
 * The request as the ALB event the function receives. Headers are filtered here, once, so neither the proxy
 * token nor hop-by-hop fields ever reach Lambda; Host and Content-Length tell the function (and its audit log)
 * the API and the body size we read.
 */
export function eventPayload(request: SignRequest, streaming = false): string {
  const headers: HeaderPairs = [
    ["Host", request.host.authority],
    ...requestHeadersForUpstream(request.headers),
  ];
  if (request.body.length > 0) headers.push(["Content-Length", String(request.body.length)]);
  const { method, path, query, body } = request;
  const event = encodeEvent({ method, path, query, headers, body }, request.caller);
  // Tells the function to answer with a metadata prelude and stream the body (streaming-handler.ts).
  if (streaming) event.requestContext = { ...event.requestContext, responseMode: "stream" };
  return JSON.stringify(event);
}

/** The SDK path, for clients the caller brought. */
function sdkTransport(client: LambdaClient): InvokeTransport {
  return {
    async send(functionName, payload, signal) {
      const out = await client.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(payload, "utf8") }),
        { abortSignal: signal },
      );
      const bytes = Buffer.from(out.Payload ?? new Uint8Array());
      return out.FunctionError ? { functionError: out.FunctionError, payload: bytes } : { payload: bytes };
    },
    async stream(functionName, payload, signal) {
      const out = await client.send(
        new InvokeWithResponseStreamCommand({
          FunctionName: functionName,
          Payload: Buffer.from(payload, "utf8"),
        }),
        { abortSignal: signal },
      );
      const events = out.EventStream;
      // Pulled one event at a time, so a slow reader holds the SDK's stream back too.
      async function* bytes(): AsyncGenerator<Buffer> {
        for await (const event of events ?? []) {
          if (event.PayloadChunk?.Payload) yield Buffer.from(event.PayloadChunk.Payload);
          const complete = event.InvokeComplete;
          if (complete?.ErrorCode)
            throw new FunctionStreamError(complete.ErrorCode, complete.ErrorDetails ?? "");
          if (complete) return;
        }
        throw new FunctionStreamError("IncompleteStream", "the stream ended before InvokeComplete");
      }
      return {
        contentType: out.ResponseStreamContentType ?? "",
        payload: Readable.from(bytes(), { objectMode: false }),
      };
    },
    close() {},
  };
}

export class LambdaInvoker implements Invoker {
  #client: LambdaClient;
  #transport: InvokeTransport;

  constructor(private readonly options: LambdaInvokerOptions) {
    this.#client = options.client;
    this.#transport = this.#transportFor(options.client);
  }

  #transportFor(client: LambdaClient): InvokeTransport {
    return this.options.direct ? DirectInvokeTransport.fromClient(client) : sdkTransport(client);
  }

  async sign(request: SignRequest, signal: AbortSignal): Promise<InvokeOutcome> {
    const streaming = this.options.streaming !== false;
    const outcome = await this.invoke(eventPayload(request, streaming), signal, streaming);
    if (outcome.kind === "stream") {
      const { response } = outcome;
      return {
        kind: "stream",
        response: { ...response, headers: responseHeadersForClient(response.headers) },
      };
    }
    if (outcome.kind !== "result") return outcome;
    const decoded = decodeResult(outcome.result);
    if (isCodecError(decoded)) return { kind: "malformed-result", message: decoded.message };
    // What another process sent is filtered on arrival, like any answer relayed to the client.
    return {
      kind: "response",
      response: { ...decoded, headers: responseHeadersForClient(decoded.headers) },
    };
  }

  /** One Invoke of `payload` (an event as JSON), renewing expired credentials once. */
  async invoke(payload: string, signal: AbortSignal, streaming = false): Promise<RawOutcome> {
    let attempt = await this.#invokeOnce(payload, signal, streaming);
    if (attempt.kind === "expired-credentials" && this.options.renewClient && !signal.aborted) {
      // The old client is left to close its idle sockets; requests already in flight on it may finish.
      this.#client = this.options.renewClient();
      this.#transport = this.#transportFor(this.#client);
      attempt = await this.#invokeOnce(payload, signal, streaming);
    }
    if (attempt.kind === "expired-credentials") {
      const { functionName, timeoutSeconds } = this.options;
      return failureFromError(functionName, attempt.error, timeoutSeconds, signal.aborted);
    }
    return attempt;
  }

  async #invokeOnce(payload: string, signal: AbortSignal, streaming: boolean): Promise<Attempt> {
    const { functionName, timeoutSeconds } = this.options;
    try {
      if (streaming) {
        const started = await this.#transport.stream(functionName, payload, signal);
        return await outcomeFromStream(functionName, started, (code, details) =>
          describeFunctionError(functionName, details, code),
        );
      }
      const out = await this.#transport.send(functionName, payload, signal);
      if (out.functionError) return describeFunctionError(functionName, out.payload, out.functionError);
      try {
        return { kind: "result", result: JSON.parse(out.payload.toString("utf8")) };
      } catch {
        return {
          kind: "function-error",
          errorType: "InvalidResult",
          errorMessage: `function ${functionName} returned a payload that is not JSON`,
        };
      }
    } catch (err) {
      const name = (err as ServiceErrorShape | undefined)?.name ?? "";
      if (EXPIRED_CREDENTIALS.has(name) && !signal.aborted)
        return { kind: "expired-credentials", error: err };
      return failureFromError(functionName, err, timeoutSeconds, signal.aborted);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
    if (this.options.ownsClient !== false) this.#client.destroy();
  }
}
