/**
 * The signing core: one neutral request in, one answer out. Both modes call it: the Lambda entry through a thin
 * adapter (handler.ts: decode the ALB/Invoke event -> core -> encode the result), the daemon's `--local` mode and
 * the embedding API directly, with no event, no base64 and no JSON in between.
 *
 *   const sign = createSigningCore({ source, prefix });
 *   const response = await sign(request, { timeoutMs: 25_000, maxResponseBytes: INVOKE_MAX_BODY });
 *
 * Contract:
 * - `request.host` is already parsed (parseHost) by whoever decoded the request: the core never parses it again.
 * - `request.headers` are the client's headers as received; the core drops hop-by-hop, Proxy-*, X-Forwarded-*,
 *   Host and Content-Length once (requestHeadersForUpstream) before signing.
 * - The answer is either the API's, its headers already filtered for the client (hop-by-hop dropped, an
 *   upstream's own `x-ssm-sign-proxy-error` dropped), or a refusal built by refusalResponse (marker = code).
 *   Callers must not filter it again.
 * - It never throws and never logs a secret: one JSON line per request goes to `log` (request-log.ts).
 *
 * - With `limits.stream` the API's answer comes back at its headers, the body as a stream (streamed-answer.ts);
 *   a host whose token is minted, and a small text error page when scrubbing (error-answer.ts), are answered whole.
 * - Answers are scrubbed of every injected value (answer-scrub.ts) unless `scrub: false`.
 *
 * Hooks for what comes next: `send` is the upstream client (`open` is its streaming twin);
 * parameters come from `source` behind a cache; a host whose token is minted (github-app/…, oauth2/…) goes
 * through sendWithMintedToken (lambda/minting/), which dials the token endpoint with the same `send`;
 * hardening checks belong before `send`, as refusals with a code of their own.
 */
import { requestHeadersForUpstream, responseHeadersForClient } from "../core/header-filter";
import { type HostList, hostListRefusal } from "../core/host-list";
import { INVOKE_MAX_BODY } from "../core/limits";
import { refusedMethod } from "../core/method-policy";
import type { ProxyResponse, SignRequest } from "../core/proxy-request";
import {
  isRefusal,
  type Refusal,
  type RefusalCode,
  refusalResponse,
  refuse,
  withoutMarker,
} from "../core/refusal";
import type { StreamedResponse } from "../core/streamed-response";
import { sendWithMintedToken } from "../minting/minted-exchange";
import { ExpirableCache } from "../parameters/expirable-cache";
import { LookupBudget } from "../parameters/lookup-budget";
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
import { sendUpstream } from "../upstream/upstream-client";
import { isUpstreamFailure, type UpstreamFailureKind } from "../upstream/upstream-failure";
import { openUpstream } from "../upstream/upstream-stream";
import { wholeIfTextError } from "./error-answer";
import { type LogSink, type RequestLogLine, stdoutSink } from "./request-log";
import { finishAnswer } from "./streamed-answer";

export interface SigningCoreOptions {
  source: ParameterSource;
  /** Parameter name prefix (`SSM_SIGN_PROXY_PREFIX`); slashes around it are tolerated. @default "" */
  prefix?: string;
  /** How long a host's parameters are trusted before re-reading. @default 300 */
  cacheTtlSeconds?: number;
  /** How long "no parameters for this host" is remembered. @default 30 */
  negativeCacheTtlSeconds?: number;
  /** The deployed host list (`SSM_SIGN_PROXY_HOSTS`): other hosts are refused before SSM is asked. @default none */
  hosts?: HostList;
  /** Where the per-request JSON line goes. @default stdout */
  log?: LogSink;
  /** The upstream client. @default sendUpstream (node:https, keep-alive) */
  send?: typeof sendUpstream;
  /**
   * Parameter Store reads per second for host names the cache does not know (burst: 10 s worth, at least 100).
   * Beyond it such hosts get a 407 `lookups-rate-limited` without a read. @default 10
   */
  unknownHostLookupsPerSecond?: number;
  /** The streaming upstream client, for `limits.stream`. @default openUpstream (same pool) */
  open?: typeof openUpstream;
  /**
   * Replace every injected value (header values, user:password and its base64, query values raw and encoded)
   * in the answer's headers and body (`SSM_SIGN_PROXY_SCRUB=off`, `--no-scrub`). @default true
   */
  scrub?: boolean;
  /** Extra words for "no parameters for host" (the daemon's --local names a prefix the file was written for). */
  noParametersHint?: (hostKey: string) => string | undefined;
}

/** Parameters under the host that were skipped, named with the reason: a typo'd kind is the usual one. */
function ignoredHint(parsed: ParsedRules): string {
  const shown = parsed.ignored.slice(0, 3).map((i) => `${i.name} (${i.reason})`);
  return shown.length > 0 ? `; ignored ${shown.join(", ")}` : "";
}

const hint = (text: string | undefined): string => (text ? `; ${text}` : "");

/** Per request: what the transport in front allows. */
export interface SignLimits {
  /** Upstream deadline. */
  timeoutMs: number;
  /** Largest upstream body the transport back can carry (Invoke, ALB). */
  maxResponseBytes: number;
  /** For the log line (Lambda's request id, or the daemon's). */
  requestId?: string;
  /** Aborted when the client went away (in-process callers): the upstream fetch stops at once. */
  signal?: AbortSignal;
  /**
   * Answer with the API's status and headers as soon as they arrive and its body as a stream (back-pressure
   * to the API; a failure after the headers is an error on the stream). Own answers still come back whole.
   */
  stream?: boolean;
}

export interface SigningCore {
  (request: SignRequest, limits: SignLimits & { stream?: false }): Promise<ProxyResponse>;
  (request: SignRequest, limits: SignLimits): Promise<ProxyResponse | StreamedResponse>;
}

/** Rate-limited lookups are logged at most once per this interval, with the count, not once per request. */
const LIMITED_LOG_INTERVAL_MS = 10_000;

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
  upgrade: "upstream-upgrade",
};

/** What is left of the request's upstream deadline (a mint or a first attempt may have used some). */
function remainingMs(started: number, limits: SignLimits): number {
  return Math.max(100, limits.timeoutMs - (performance.now() - started));
}

function isHealthCheck(request: SignRequest): boolean {
  for (const [name, value] of request.headers) {
    if (value.startsWith("ELB-HealthChecker/") && name.toLowerCase() === "user-agent") return true;
  }
  return false;
}

export function createSigningCore(options: SigningCoreOptions): SigningCore {
  const prefix = normalizePrefix(options.prefix);
  const log = options.log ?? stdoutSink;
  const send = options.send ?? sendUpstream;
  const open = options.open ?? openUpstream;
  const scrub = options.scrub !== false;
  const cache = new ExpirableCache<string, ParsedRules>({
    ttlMs: (options.cacheTtlSeconds ?? 300) * 1000,
    negativeTtlMs: (options.negativeCacheTtlSeconds ?? 30) * 1000,
    isNegative: (parsed) => parsed.rules.kinds.length === 0,
  });
  const lookupRate = options.unknownHostLookupsPerSecond ?? 10;
  const lookups = new LookupBudget({ perSecond: lookupRate, burst: Math.max(100, lookupRate * 10) });
  let limitedLoggedAt = Number.NEGATIVE_INFINITY;

  /** Whether a host the cache does not know may cost a Parameter Store read now. */
  function lookupAllowed(key: string, authority: string): Refusal | undefined {
    if (cache.knows(key) || lookups.take()) return undefined;
    const now = Date.now();
    if (now - limitedLoggedAt >= LIMITED_LOG_INTERVAL_MS) {
      limitedLoggedAt = now;
      log({ level: "warn", msg: "unknown host lookups rate-limited", refused: lookups.drainRefused() });
    }
    return refuse(
      "lookups-rate-limited",
      `no parameters known for host ${authority}, and Parameter Store lookups of unknown hosts are over their ` +
        "rate limit on this instance; retry shortly (known hosts are not affected)",
      [["retry-after", String(lookups.retryAfterSeconds())]],
    );
  }

  async function rulesFor(
    line: RequestLogLine,
    key: string,
    path: string,
    authority: string,
  ): Promise<ParsedRules | Refusal> {
    try {
      const cached = await cache.get(key, async () => {
        const result = parseRules(path, await options.source.getParametersByPath(path), authority);
        for (const ignored of result.ignored) {
          log({ level: "warn", msg: "parameter ignored", parameter: ignored.name, reason: ignored.reason });
        }
        return result;
      });
      line.cache = cached.outcome;
      if (cached.outcome === "stale") {
        const reason = cached.error instanceof Error ? cached.error.message : "unknown error";
        log({ level: "warn", msg: "serving stale parameters after a failed reload", host: key, reason });
      }
      return cached.value;
    } catch (error) {
      line.level = "error";
      if (!(error instanceof ParameterSourceError)) {
        line.error = "parameter source failed";
        return refuse("parameters-unavailable", `reading parameters under ${path} failed`);
      }
      line.error = error.message;
      if (error.failure === "throttled") {
        return refuse("parameters-throttled", `${error.message}; retry shortly`, [
          ["retry-after", THROTTLED_RETRY_AFTER_SECONDS],
        ]);
      }
      return refuse(SOURCE_FAILURE_CODE[error.failure], error.message);
    }
  }

  async function answer(
    request: SignRequest,
    limits: SignLimits,
    line: RequestLogLine,
    injected: { forms: readonly string[] },
  ) {
    const { host } = request;
    const methodRefused = refusedMethod(request.method);
    if (methodRefused) return methodRefused;
    // ALB health checks (if a target group enables them) get a cheap answer without touching SSM.
    if (isHealthCheck(request)) return refuse("health-ok", "ok");
    const notDeployed = hostListRefusal(options.hosts, host);
    if (notDeployed) {
      line.level = "warn";
      line.error = notDeployed.message;
      return notDeployed;
    }
    const path = hostPath(prefix, host.key);
    if (reservedFirstSegment(path) !== undefined) {
      return refuse(
        "reserved-host-name",
        `no parameters can exist for host ${host.authority}: Parameter Store names cannot begin with "aws" or "ssm" ` +
          `(${path}); set SSM_SIGN_PROXY_PREFIX (e.g. /prod) and store them under /prod/${host.key}/`,
      );
    }
    const limited = lookupAllowed(host.key, host.authority);
    if (limited) return limited;
    const parsed = await rulesFor(line, host.key, path, host.authority);
    if ("code" in parsed) return parsed;
    if (parsed.rules.kinds.length === 0) {
      return refuse(
        "no-parameters",
        `no parameters for host ${host.authority}: create one under ${path}/ (e.g. ${path}/headers/Authorization)` +
          ignoredHint(parsed) +
          hint(options.noParametersHint?.(host.key)),
      );
    }
    line.applied = parsed.rules.kinds;
    if (scrub) injected.forms = secretForms(injectedValues(parsed.rules));
    const signed = applyRules(
      {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: requestHeadersForUpstream(request.headers),
        body: request.body,
      },
      parsed.rules,
    );
    const upstreamStarted = performance.now();
    const { tokenSource } = parsed.rules;
    // A minted token first (cached, or minted by the same upstream client), then the API, in one deadline.
    const response = tokenSource
      ? await sendWithMintedToken({
          host,
          request: signed,
          source: tokenSource,
          mintTimeoutMs: limits.timeoutMs,
          send: (again) =>
            send(host, again, {
              ...limits,
              // Answered whole: never more than a buffered answer could carry.
              maxResponseBytes: Math.min(limits.maxResponseBytes, INVOKE_MAX_BODY),
              timeoutMs: remainingMs(upstreamStarted, limits),
            }),
          mintSend: send,
          log,
          // Hosts never see even the short-lived token: an API that echoes it gets it scrubbed.
          attaching: (token) => {
            if (scrub) injected.forms = [...injected.forms, ...secretForms([token])];
          },
        })
      : limits.stream
        ? await wholeIfTextError(await open(host, signed, limits), injected.forms.length > 0)
        : await send(host, signed, limits);
    line.upstreamMs = Math.round((performance.now() - upstreamStarted) * 10) / 10;
    if (isUpstreamFailure(response)) {
      line.level = "warn";
      line.error = response.message;
      return refuse(UPSTREAM_FAILURE_CODE[response.failure], response.message);
    }
    if (isRefusal(response)) {
      line.level = "warn";
      line.error = response.message;
      return response;
    }
    return { ...response, headers: withoutMarker(responseHeadersForClient(response.headers)) };
  }

  async function sign(request: SignRequest, limits: SignLimits): Promise<ProxyResponse | StreamedResponse> {
    const started = performance.now();
    const line: RequestLogLine = {
      level: "info",
      msg: "request",
      method: request.method,
      path: request.path,
      host: request.host.authority,
      status: 0,
      totalMs: 0,
    };
    if (limits.requestId) line.requestId = limits.requestId;
    if (request.caller) line.caller = request.caller;
    const injected: { forms: readonly string[] } = { forms: [] };
    const outcome = await answer(request, limits, line, injected);
    let response: ProxyResponse | StreamedResponse;
    if ("code" in outcome) {
      line.code = outcome.code;
      response = refusalResponse(outcome);
    } else {
      response = outcome;
    }
    // Scrubbed, and logged now (whole) or when the body has ended (streamed).
    return finishAnswer(response, { line, started, forms: injected.forms, scrub, log });
  }
  return sign as SigningCore;
}
