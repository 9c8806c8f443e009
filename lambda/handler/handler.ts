/**
 * The function: ALB/Invoke event in, ALB result out. A thin adapter around the signing core (core.ts): decode the
 * event and parse its Host once, call the core, encode the answer in the form the event came in. Never throws.
 */
import { isHostError, parseHost } from "../core/host-key";
import { ALB_MAX_BODY, INVOKE_MAX_BODY } from "../core/limits";
import type { AlbResult, InvocationContext, ProxyResponse, SignRequest } from "../core/proxy-request";
import { type Refusal, refusalResponse, refuse } from "../core/refusal";
import { decodeEvent, encodeResult, isCodecError } from "../wire/event-codec";
import { createSigningCore, type SigningCore, type SigningCoreOptions, type SignLimits } from "./core";
import { type RequestLogLine, stdoutSink } from "./request-log";

export interface HandlerOptions extends SigningCoreOptions {
  /** Upstream timeout. @default the invocation's remaining time less 1 s, else 25 s */
  timeoutSeconds?: number;
}

export type Handler = (event: unknown, context?: InvocationContext) => Promise<AlbResult>;

const DEFAULT_TIMEOUT_MS = 25_000;

/** The upstream deadline: the configured timeout, but always inside the invocation's own. */
export function upstreamTimeoutMs(timeoutSeconds: number | undefined, context?: InvocationContext): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
    const configured = timeoutSeconds * 1000;
    return remaining !== undefined ? Math.max(100, Math.min(configured, remaining - 500)) : configured;
  }
  return remaining !== undefined ? Math.max(100, remaining - 1000) : DEFAULT_TIMEOUT_MS;
}

/** An event decoded for the core, or the refusal to answer with (already logged). */
export type Prepared =
  | { request: SignRequest; multiValue: boolean; limits: SignLimits }
  | { refusal: ProxyResponse; multiValue: boolean };

/**
 * Decodes the event and parses its Host once, for the core. Shared by the buffered handler and the streaming
 * one (streaming-handler.ts), so both refuse a bad event alike.
 */
export function eventPreparer(
  options: HandlerOptions,
): (event: unknown, context?: InvocationContext) => Prepared {
  const log = options.log ?? stdoutSink;

  /** Refused before the core runs (the event or its Host): the adapter writes the request line itself. */
  function refused(refusal: Refusal, multiValue: boolean, line: RequestLogLine, started: number): Prepared {
    line.level = "warn";
    line.error = refusal.message;
    line.code = refusal.code;
    line.status = refusal.status;
    line.totalMs = Math.round((performance.now() - started) * 10) / 10;
    log(line as unknown as Record<string, unknown>);
    return { refusal: refusalResponse(refusal), multiValue };
  }

  return function prepare(event, context) {
    const started = performance.now();
    const decoded = decodeEvent(event);
    const line: RequestLogLine = { level: "info", msg: "request", status: 0, totalMs: 0 };
    if (context?.awsRequestId) line.requestId = context.awsRequestId;
    if (isCodecError(decoded)) {
      const multiValueGuess = typeof event === "object" && event !== null && "multiValueHeaders" in event;
      return refused(
        refuse("bad-event", `bad request event: ${decoded.message}`),
        multiValueGuess,
        line,
        started,
      );
    }
    const host = parseHost(decoded.headers.find(([name]) => name.toLowerCase() === "host")?.[1]);
    if (isHostError(host)) {
      line.method = decoded.method;
      line.path = decoded.path;
      if (decoded.caller) line.caller = decoded.caller;
      return refused(refuse("host-invalid", host.message), decoded.multiValue, line, started);
    }
    const request: SignRequest = {
      method: decoded.method,
      host,
      path: decoded.path,
      query: decoded.query,
      headers: decoded.headers,
      body: decoded.body,
    };
    if (decoded.caller) request.caller = decoded.caller;
    const limits: SignLimits = {
      timeoutMs: upstreamTimeoutMs(options.timeoutSeconds, context),
      // An ALB accepts at most 1 MB from a Lambda target; a direct Invoke up to 6 MB.
      maxResponseBytes: decoded.source === "alb" ? ALB_MAX_BODY : INVOKE_MAX_BODY,
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
    };
    return { request, multiValue: decoded.multiValue, limits };
  };
}

/** `sign` is given when another handler shares the core (and its parameter cache). */
export function createHandler(
  options: HandlerOptions,
  sign: SigningCore = createSigningCore(options),
): Handler {
  const prepare = eventPreparer(options);
  return async function handler(event, context) {
    const prepared = prepare(event, context);
    if ("refusal" in prepared) return encodeResult(prepared.refusal, prepared.multiValue);
    const { stream: _whole, ...limits } = prepared.limits;
    return encodeResult(await sign(prepared.request, limits), prepared.multiValue);
  };
}
