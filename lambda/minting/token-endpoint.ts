/**
 * One POST to a token endpoint (GitHub's access_tokens, an OAuth2 token URL), dialled by the same upstream client
 * as the API itself: its keep-alive pool, its connect-time address guard, its timeout. Transport failures become
 * refusals naming the step; the answer itself is the minter's to judge.
 */

import type { UpstreamHost } from "../core/host-key";
import { isHostError, parseHost } from "../core/host-key";
import type { HeaderPairs, ProxyRequest, ProxyResponse } from "../core/proxy-request";
import { type Refusal, refuse } from "../core/refusal";
import { sendUpstream } from "../upstream/upstream-client";
import { isUpstreamFailure, type UpstreamFailure } from "../upstream/upstream-failure";
import type { UpstreamOptions } from "../upstream/upstream-request";

export type UpstreamSend = (
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
) => Promise<ProxyResponse | UpstreamFailure>;

/** A token answer is small; anything larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** A mint never takes longer than this, whatever time the invocation has left. */
export const MAX_MINT_MS = 10_000;
/** When the endpoint gave no usable Retry-After. */
const DEFAULT_RETRY_AFTER = "5";

export interface TokenEndpointCall {
  /** Names the step in every message, e.g. "GitHub App token request for installation 42". */
  step: string;
  url: URL;
  headers: HeaderPairs;
  body: Buffer;
  timeoutMs: number;
  send?: UpstreamSend;
}

export function retryAfter(response: ProxyResponse): string {
  const value = response.headers.find(([n]) => n.toLowerCase() === "retry-after")?.[1]?.trim();
  return value !== undefined && /^[0-9]{1,3}$/.test(value) ? value : DEFAULT_RETRY_AFTER;
}

/** The endpoint's answer, or a refusal when it could not be had (unreachable, 5xx, 429, too slow). */
export async function postToTokenEndpoint(call: TokenEndpointCall): Promise<ProxyResponse | Refusal> {
  const host = parseHost(call.url.host);
  if (isHostError(host)) return refuse("token-mint-rejected", `${call.step} cannot be sent: ${host.message}`);
  const timeoutMs = Math.max(100, Math.min(call.timeoutMs, MAX_MINT_MS));
  const send = call.send ?? sendUpstream;
  const response = await send(
    host,
    {
      method: "POST",
      path: call.url.pathname,
      // Already encoded as the URL parser keeps it: pass the raw pairs on.
      query: call.url.search === "" ? [] : splitQuery(call.url.search.slice(1)),
      headers: call.headers,
      body: call.body,
    },
    { timeoutMs, maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES },
  );
  if (isUpstreamFailure(response)) {
    if (response.failure === "timeout")
      return refuse(
        "token-mint-timeout",
        `${call.step} got no answer within ${Math.round(timeoutMs / 100) / 10}s; the next request tries again`,
      );
    if (response.failure === "forbidden-address")
      return refuse("metadata-address", `${call.step}: ${response.message}`);
    return refuse(
      "token-mint-unavailable",
      `${call.step} failed: ${response.message}; the next request tries again`,
      [["retry-after", DEFAULT_RETRY_AFTER]],
    );
  }
  if (response.statusCode >= 500 || response.statusCode === 429) {
    return refuse(
      "token-mint-unavailable",
      `${call.step} answered ${response.statusCode}; the next request tries again`,
      [["retry-after", retryAfter(response)]],
    );
  }
  return response;
}

function splitQuery(search: string): Array<[string, string]> {
  return search.split("&").map((pair): [string, string] => {
    const eq = pair.indexOf("=");
    return eq === -1 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

/** The JSON object of a 2xx answer, or undefined when it is not one. */
export function jsonObject(response: ProxyResponse): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(response.body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
