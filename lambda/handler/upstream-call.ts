/**
 * The signing core's (core.ts) last step: the signed request to the API and its answer back. A minted token
 * first when the host's rules name a token source (lambda/minting/), else `open` for a streamed answer or `send`
 * for a whole one; the deadline and size limits each call gets; upstream failures and the minting's refusals
 * turned into refusals; the API's headers filtered once for the client. Kept apart from core.ts so the core
 * reads as its steps and the transport choices live together.
 */
import { responseHeadersForClient } from "../core/header-filter";
import { INVOKE_MAX_BODY } from "../core/limits";
import type { ProxyRequest, ProxyResponse, SignRequest } from "../core/proxy-request";
import { isRefusal, type Refusal, type RefusalCode, refuse, withoutMarker } from "../core/refusal";
import type { StreamedResponse } from "../core/streamed-response";
import { sendWithMintedToken } from "../minting/minted-exchange";
import { secretForms } from "../scrub";
import type { SigningRules } from "../signing/signing-rules";
import type { sendUpstream } from "../upstream/upstream-client";
import { isUpstreamFailure, type UpstreamFailureKind } from "../upstream/upstream-failure";
import type { openUpstream } from "../upstream/upstream-stream";
import type { SignLimits } from "./core";
import { wholeIfTextError } from "./error-answer";
import type { LogSink, RequestLogLine } from "./request-log";

export interface UpstreamCall {
  send: typeof sendUpstream;
  open: typeof openUpstream;
  log: LogSink;
  scrub: boolean;
}

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

/** The API call after a mint: answered whole, never more than a buffered answer could carry, in what is left. */
function afterMintLimits(started: number, limits: SignLimits): SignLimits {
  return {
    ...limits,
    maxResponseBytes: Math.min(limits.maxResponseBytes, INVOKE_MAX_BODY),
    timeoutMs: remainingMs(started, limits),
  };
}

/**
 * Send `signed` to `host` and bring back the API's answer, its headers filtered for the client, or a refusal.
 * `injected.forms` grows by a minted token's forms (when scrubbing) so the answer is scrubbed of it too.
 */
export async function callUpstream(
  call: UpstreamCall,
  host: SignRequest["host"],
  signed: ProxyRequest,
  rules: SigningRules,
  limits: SignLimits,
  line: RequestLogLine,
  injected: { forms: readonly string[] },
): Promise<ProxyResponse | StreamedResponse | Refusal> {
  const { send, open, log, scrub } = call;
  const upstreamStarted = performance.now();
  const { tokenSource } = rules;
  // A minted token first (cached, or minted by the same upstream client), then the API, in one deadline.
  const response = tokenSource
    ? await sendWithMintedToken({
        host,
        request: signed,
        source: tokenSource,
        mintTimeoutMs: limits.timeoutMs,
        send: (again) => send(host, again, afterMintLimits(upstreamStarted, limits)),
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
