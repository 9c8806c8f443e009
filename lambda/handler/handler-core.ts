/**
 * The function's core: an event in, the answer out (an own answer, or the API's, whole or streaming).
 * Composes the pure parts (codec, host key, rules, signer, header filter) with the two I/O edges (parameter
 * source behind a cache, upstream client). Never throws: every failure is an answer with a status and a
 * one-line reason. The buffered handler (handler.ts) and the streaming one (streaming-handler.ts) encode it.
 */

import { requestHeadersForUpstream, responseHeadersForClient } from "../core/header-filter";
import { isHostError, parseHost } from "../core/host-key";
import type { InvocationContext, ProxyResponse } from "../core/proxy-request";
import { type Refusal, type RefusalCode, refusalResponse, refuse, withoutMarker } from "../core/refusal";
import type { StreamedResponse } from "../core/streamed-response";
import { ExpirableCache } from "../parameters/expirable-cache";
import { hostPath, normalizePrefix, reservedFirstSegment } from "../parameters/parameter-path";
import {
  type ParameterSource,
  ParameterSourceError,
  type ParameterSourceFailure,
} from "../parameters/parameter-source";
import { secretForms } from "../scrub";
import { injectedValues } from "../signing/injected-values";
import { applyRules } from "../signing/signer";
import { type ParsedRules, parseRules } from "../signing/signing-rules";
import { isUpstreamFailure, sendUpstream, type UpstreamFailureKind } from "../upstream/upstream-client";
import { openUpstream } from "../upstream/upstream-stream";
import { decodeEvent, isCodecError } from "../wire/event-codec";
import { type LogSink, type RequestLogLine, stdoutSink } from "./request-log";

export interface HandlerOptions {
  source: ParameterSource;
  /** Parameter name prefix (`SSM_SIGN_PROXY_PREFIX`); slashes around it are tolerated. @default "" */
  prefix?: string;
  /** How long a host's parameters are trusted before re-reading. @default 300 */
  cacheTtlSeconds?: number;
  /** How long "no parameters for this host" is remembered. @default 30 */
  negativeCacheTtlSeconds?: number;
  /** Upstream timeout. @default the invocation's remaining time less 1 s, else 25 s */
  timeoutSeconds?: number;
  /** Where the per-request JSON line goes. @default stdout */
  log?: LogSink;
  /** Replace injected values in answers (`SSM_SIGN_PROXY_SCRUB=off` turns it off). @default true */
  scrub?: boolean;
}

/** What the core decided; the caller encodes it, finishes `line` and logs it. */
export interface CoreAnswer {
  response: ProxyResponse | StreamedResponse;
  /** The form the event came in (ALB answers 502 to a result in the other form). */
  multiValue: boolean;
  line: RequestLogLine;
  /** Every spelling of every value injected into this request, for scrubbing (empty when off). */
  forms: readonly string[];
  started: number;
}

export type Core = (
  event: unknown,
  context: InvocationContext | undefined,
  stream: boolean,
) => Promise<CoreAnswer>;

/** Lambda's synchronous response limit (6 MB) less room for headers, before base64's 4/3 growth. */
const INVOKE_MAX_BODY = Math.floor(((6 * 1024 * 1024 - 64 * 1024) * 3) / 4);
/** Lambda's response streaming limit (200 MiB), less room for the metadata prelude. */
const STREAM_MAX_BODY = 200 * 1024 * 1024 - 64 * 1024;
/** ALB accepts at most 1 MB from a Lambda target. */
const ALB_MAX_BODY = Math.floor(((1024 * 1024 - 16 * 1024) * 3) / 4);
const DEFAULT_TIMEOUT_MS = 25_000;

/** SDK retries have already backed off inside the invocation; the client may try again right away. */
const THROTTLED_RETRY_AFTER_SECONDS = "1";

const SOURCE_FAILURE_CODE: Record<ParameterSourceFailure, RefusalCode> = {
  "access-denied": "parameters-denied",
  throttled: "parameters-throttled",
  unreachable: "parameters-unavailable",
  rejected: "parameters-path-invalid",
};

const UPSTREAM_FAILURE_CODE: Record<UpstreamFailureKind, RefusalCode> = {
  timeout: "upstream-timeout",
  connect: "upstream-connect-failed",
  tls: "upstream-tls-failed",
  reset: "upstream-reset",
  "forbidden-address": "metadata-address",
  "too-large": "upstream-too-large",
};

function cameThroughAlb(event: unknown): boolean {
  const context = (event as { requestContext?: { elb?: unknown } } | null)?.requestContext;
  return typeof context === "object" && context !== null && context.elb !== undefined;
}

export function createCore(options: HandlerOptions): Core {
  const prefix = normalizePrefix(options.prefix);
  const log = options.log ?? stdoutSink;
  const cache = new ExpirableCache<string, ParsedRules>({
    ttlMs: (options.cacheTtlSeconds ?? 300) * 1000,
    negativeTtlMs: (options.negativeCacheTtlSeconds ?? 30) * 1000,
    isNegative: (parsed) => parsed.rules.kinds.length === 0,
  });

  function timeoutMs(context?: InvocationContext): number {
    if (options.timeoutSeconds !== undefined && options.timeoutSeconds > 0) {
      const configured = options.timeoutSeconds * 1000;
      const remaining = context?.getRemainingTimeInMillis?.();
      return remaining !== undefined ? Math.max(100, Math.min(configured, remaining - 500)) : configured;
    }
    const remaining = context?.getRemainingTimeInMillis?.();
    return remaining !== undefined ? Math.max(100, remaining - 1000) : DEFAULT_TIMEOUT_MS;
  }

  const scrub = options.scrub !== false;
  return async function core(event, context, stream) {
    const started = performance.now();
    const multiValueGuess = typeof event === "object" && event !== null && "multiValueHeaders" in event;
    const decoded = decodeEvent(event);
    const line: RequestLogLine = { level: "info", msg: "request", status: 0, totalMs: 0 };
    if (context?.awsRequestId) line.requestId = context.awsRequestId;
    let forms: readonly string[] = [];
    const finish = (response: ProxyResponse | StreamedResponse, multiValue: boolean): CoreAnswer => ({
      response,
      multiValue,
      line,
      forms,
      started,
    });
    const refused = (refusal: Refusal, multiValue: boolean): CoreAnswer => {
      line.code = refusal.code;
      return finish(refusalResponse(refusal), multiValue);
    };

    if (isCodecError(decoded)) {
      line.level = "warn";
      line.error = decoded.message;
      return refused(refuse("bad-event", `bad request event: ${decoded.message}`), multiValueGuess);
    }
    const { multiValue } = decoded;
    line.method = decoded.method;
    line.path = decoded.path;
    if (decoded.caller) line.caller = decoded.caller;

    const hostHeader = decoded.headers.find(([name]) => name.toLowerCase() === "host")?.[1];
    const host = parseHost(hostHeader);
    if (isHostError(host)) {
      line.level = "warn";
      line.error = host.message;
      return refused(refuse("host-invalid", host.message), multiValue);
    }
    line.host = host.authority;

    // ALB health checks (if a target group enables them) get a cheap answer without touching SSM.
    if (
      decoded.headers.some(([n, v]) => n.toLowerCase() === "user-agent" && v.startsWith("ELB-HealthChecker/"))
    ) {
      return refused(refuse("health-ok", "ok"), multiValue);
    }

    const path = hostPath(prefix, host.key);
    const reserved = reservedFirstSegment(path);
    if (reserved !== undefined) {
      return refused(
        refuse(
          "reserved-host-name",
          `no parameters can exist for host ${host.authority}: Parameter Store names cannot begin with "aws" or "ssm" ` +
            `(${path}); set SSM_SIGN_PROXY_PREFIX (e.g. /prod) and store them under /prod/${host.key}/`,
        ),
        multiValue,
      );
    }
    let parsed: ParsedRules;
    try {
      const cached = await cache.get(host.key, async () => {
        const result = parseRules(path, await options.source.getParametersByPath(path));
        for (const ignored of result.ignored) {
          log({ level: "warn", msg: "parameter ignored", parameter: ignored.name, reason: ignored.reason });
        }
        return result;
      });
      line.cache = cached.outcome;
      if (cached.outcome === "stale") {
        const reason = cached.error instanceof Error ? cached.error.message : "unknown error";
        log({ level: "warn", msg: "serving stale parameters after a failed reload", host: host.key, reason });
      }
      parsed = cached.value;
    } catch (error) {
      line.level = "error";
      if (error instanceof ParameterSourceError) {
        line.error = error.message;
        if (error.failure === "throttled") {
          return refused(
            refuse("parameters-throttled", `${error.message}; retry shortly`, [
              ["retry-after", THROTTLED_RETRY_AFTER_SECONDS],
            ]),
            multiValue,
          );
        }
        return refused(refuse(SOURCE_FAILURE_CODE[error.failure], error.message), multiValue);
      }
      line.error = "parameter source failed";
      return refused(refuse("parameters-unavailable", `reading parameters under ${path} failed`), multiValue);
    }

    if (parsed.rules.kinds.length === 0) {
      return refused(
        refuse(
          "no-parameters",
          `no parameters for host ${host.authority}: create one under ${path}/ (e.g. ${path}/headers/Authorization)`,
        ),
        multiValue,
      );
    }
    line.applied = parsed.rules.kinds;
    if (scrub) forms = secretForms(injectedValues(parsed.rules));

    const signed = applyRules(
      { ...decoded, headers: requestHeadersForUpstream(decoded.headers) },
      parsed.rules,
    );
    // An ALB accepts at most 1 MB from a Lambda target; a direct Invoke up to 6 MB; a stream up to 200 MB.
    const maxResponseBytes = stream
      ? STREAM_MAX_BODY
      : cameThroughAlb(event)
        ? ALB_MAX_BODY
        : INVOKE_MAX_BODY;
    const upstreamStarted = performance.now();
    const upstreamOptions = { timeoutMs: timeoutMs(context), maxResponseBytes };
    const response = stream
      ? await openUpstream(host, signed, upstreamOptions)
      : await sendUpstream(host, signed, upstreamOptions);
    line.upstreamMs = Math.round((performance.now() - upstreamStarted) * 10) / 10;
    if (isUpstreamFailure(response)) {
      line.level = "warn";
      line.error = response.message;
      return refused(refuse(UPSTREAM_FAILURE_CODE[response.failure], response.message), multiValue);
    }
    return finish(
      { ...response, headers: withoutMarker(responseHeadersForClient(response.headers)) },
      multiValue,
    );
  };
}
