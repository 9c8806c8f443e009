/**
 * The one call the handler makes for a host whose token is minted: get the host's token (cached or minted once
 * for all concurrent requests), send the request with it, and when the API answers 401 to a cached token, drop
 * it, mint once more and resend, for idempotent methods only (bodies are buffered, so a resend is exact).
 * A mint failure is an answer of its own: the request is never sent without its token.
 */
import type { UpstreamHost } from "../core/host-key";
import type { ProxyRequest, ProxyResponse } from "../core/proxy-request";
import { isRefusal, type Refusal } from "../core/refusal";
import type { MintedTokenSource } from "../signing/token-source-types";
import type { UpstreamFailure } from "../upstream/upstream-failure";
import { isIdempotent } from "../upstream/upstream-policy";
import { mintGitHubAppToken } from "./github-app-minter";
import type { MintedToken } from "./minted-token";
import { mintOAuth2Token } from "./oauth2-minter";
import { type CachedToken, MintedTokenCache } from "./token-cache";
import type { UpstreamSend } from "./token-endpoint";

/** The function's log (names, times and codes only). */
export type MintLog = (line: Record<string, unknown>) => void;

/** Module scope: warm invocations (and concurrent ones, on Lambda Managed Instances) share the tokens. */
export const mintedTokens = new MintedTokenCache();

export interface MintedExchange {
  host: UpstreamHost;
  /** The request with the host's other rules applied. */
  request: ProxyRequest;
  source: MintedTokenSource;
  /** Budget for one mint (capped at 10 s). */
  mintTimeoutMs: number;
  /** Sends the request to the API (the handler's upstream call). */
  send: (request: ProxyRequest) => Promise<ProxyResponse | UpstreamFailure>;
  log: MintLog;
  /** Told each token before it is attached, so the answer can be scrubbed of it like any injected value. */
  attaching?: (token: string) => void;
  tokens?: MintedTokenCache;
  /** How token endpoints are dialled; default the upstream client. */
  mintSend?: UpstreamSend;
}

export function withBearer(request: ProxyRequest, token: string): ProxyRequest {
  return {
    ...request,
    headers: [
      ...request.headers.filter(([name]) => name.toLowerCase() !== "authorization"),
      ["Authorization", `Bearer ${token}`],
    ],
  };
}

function mint(exchange: MintedExchange): () => Promise<MintedToken | Refusal> {
  const { source, host, log } = exchange;
  return async () => {
    const started = performance.now();
    const result =
      source.kind === "github-app"
        ? await mintGitHubAppToken(source, exchange.mintTimeoutMs, exchange.mintSend)
        : await mintOAuth2Token(source, exchange.mintTimeoutMs, exchange.mintSend);
    const mintMs = Math.round((performance.now() - started) * 10) / 10;
    if (isRefusal(result)) {
      log({
        level: "warn",
        msg: "token mint failed",
        host: host.key,
        kind: source.kind,
        code: result.code,
        error: result.message,
        mintMs,
      });
    } else {
      log({
        level: "info",
        msg: "token minted",
        host: host.key,
        kind: source.kind,
        ...(result.expiresAt !== undefined ? { expiresAt: new Date(result.expiresAt).toISOString() } : {}),
        reuseUntil: new Date(result.reuseUntil).toISOString(),
        mintMs,
      });
    }
    return result;
  };
}

export async function sendWithMintedToken(
  exchange: MintedExchange,
): Promise<ProxyResponse | UpstreamFailure | Refusal> {
  const tokens = exchange.tokens ?? mintedTokens;
  const token = (): Promise<CachedToken | Refusal> =>
    tokens.get(exchange.host.key, exchange.source.fingerprint, mint(exchange));
  const first = await token();
  if (isRefusal(first)) return first;
  exchange.attaching?.(first.token.value);
  const response = await exchange.send(withBearer(exchange.request, first.token.value));
  if (!("statusCode" in response) || response.statusCode !== 401 || first.outcome !== "cached")
    return response;
  // The API no longer takes the cached token (revoked, or the App's installation changed): never reuse it.
  tokens.drop(exchange.host.key, first.token.value);
  if (!isIdempotent(exchange.request.method)) return response;
  const second = await token();
  if (isRefusal(second)) return second;
  exchange.log({ level: "info", msg: "retrying with a new token after 401", host: exchange.host.key });
  exchange.attaching?.(second.token.value);
  return exchange.send(withBearer(exchange.request, second.token.value));
}
