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
 * The steps, each in a file of its own: refusals from the request alone (request-gates.ts), the host's rules
 * (host-rules.ts), signing (lambda/signing/), the upstream call (upstream-call.ts), the answer's scrub and log
 * line (streamed-answer.ts).
 *
 * Hooks for what comes next: `send` is the upstream client (`open` is its streaming twin);
 * parameters come from `source` behind a cache (host-rules.ts); a host whose token is minted (github-app/…,
 * oauth2/…) goes through sendWithMintedToken (lambda/minting/, called from upstream-call.ts), which dials the
 * token endpoint with the same `send`; hardening checks belong before `send` (request-gates.ts), as refusals
 * with a code of their own.
 */
import { requestHeadersForUpstream } from "../core/header-filter";
import type { HostList } from "../core/host-list";
import type { ProxyResponse, SignRequest } from "../core/proxy-request";
import { refusalResponse } from "../core/refusal";
import type { StreamedResponse } from "../core/streamed-response";
import { hostPath, normalizePrefix } from "../parameters/parameter-path";
import type { ParameterSource } from "../parameters/parameter-source";
import { secretForms } from "../scrub";
import { injectedValues } from "../signing/injected-values";
import { applyRules } from "../signing/signer";
import { sendUpstream } from "../upstream/upstream-client";
import { openUpstream } from "../upstream/upstream-stream";
import { createHostRules, noParametersRefusal } from "./host-rules";
import { gateRefusal } from "./request-gates";
import { type LogSink, type RequestLogLine, stdoutSink } from "./request-log";
import { finishAnswer } from "./streamed-answer";
import { callUpstream } from "./upstream-call";

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

export function createSigningCore(options: SigningCoreOptions): SigningCore {
  const prefix = normalizePrefix(options.prefix);
  const log = options.log ?? stdoutSink;
  const scrub = options.scrub !== false;
  const upstream = { send: options.send ?? sendUpstream, open: options.open ?? openUpstream, log, scrub };
  const rulesFor = createHostRules({ ...options, log });

  async function answer(
    request: SignRequest,
    limits: SignLimits,
    line: RequestLogLine,
    injected: { forms: readonly string[] },
  ) {
    const { host } = request;
    const path = hostPath(prefix, host.key);
    const refused = gateRefusal(request, options.hosts, path, line);
    if (refused) return refused;
    const parsed = await rulesFor(line, host.key, path, host.authority);
    if ("code" in parsed) return parsed;
    if (parsed.rules.kinds.length === 0) {
      return noParametersRefusal(parsed, path, host.authority, options.noParametersHint?.(host.key));
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
    return callUpstream(upstream, host, signed, parsed.rules, limits, line, injected);
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
