/**
 * GitHub App installation tokens: a JWT signed with the App's key buys a token for one installation
 * (`POST {api-url}/app/installations/{id}/access_tokens`), optionally narrowed to repositories and permissions.
 * The token's format is GitHub's business (classic `ghs_…` of 40 characters, or the ~520-character JWT-format
 * ones): it is only checked to be a valid header value.
 * https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
 */
import { isFieldValue } from "../core/http-syntax";
import { type Refusal, refuse } from "../core/refusal";
import type { GitHubAppSource } from "../signing/token-source-types";
import { signAppJwt } from "./app-jwt";
import { type MintedToken, reuseUntil } from "./minted-token";
import { jsonObject, postToTokenEndpoint, type UpstreamSend } from "./token-endpoint";

function accessTokensUrl(source: GitHubAppSource): URL {
  const base = source.apiUrl.pathname.replace(/\/+$/, "");
  const url = new URL(source.apiUrl.href);
  url.pathname = `${base}/app/installations/${source.installationId}/access_tokens`;
  url.search = "";
  return url;
}

function whatToCheck(status: number): string {
  if (status === 401) return "check github-app/app-id and github-app/private-key (the App's current key)";
  if (status === 404) return "check github-app/installation-id and that the App is still installed";
  if (status === 403) return "check that the App is not suspended and may be installed there";
  if (status === 422)
    return "check github-app/repositories and github-app/permissions (the App must hold them)";
  return "check the github-app/ parameters";
}

export async function mintGitHubAppToken(
  source: GitHubAppSource,
  timeoutMs: number,
  send?: UpstreamSend,
): Promise<MintedToken | Refusal> {
  const step = `GitHub App token request for installation ${source.installationId}`;
  if (!source.privateKey)
    return refuse("token-key-invalid", `${step} not sent: ${source.keyProblem ?? "no key"}`);
  let jwt: string;
  try {
    jwt = signAppJwt(source.appId, source.privateKey);
  } catch {
    return refuse("token-key-invalid", `${step} not sent: github-app/private-key cannot sign RS256`);
  }
  const narrow: Record<string, unknown> = {};
  if (source.repositories) narrow.repositories = source.repositories;
  if (source.permissions) narrow.permissions = source.permissions;
  const body = Object.keys(narrow).length > 0 ? Buffer.from(JSON.stringify(narrow)) : Buffer.alloc(0);
  const response = await postToTokenEndpoint({
    step,
    url: accessTokensUrl(source),
    headers: [
      ["accept", "application/vnd.github+json"],
      ["authorization", `Bearer ${jwt}`],
      ["user-agent", "ssm-sign-proxy"],
      ["x-github-api-version", "2022-11-28"],
      ...(body.length > 0 ? ([["content-type", "application/json"]] as Array<[string, string]>) : []),
    ],
    body,
    timeoutMs,
    ...(send ? { send } : {}),
  });
  if (!("statusCode" in response)) return response;
  const now = Date.now();
  if (response.statusCode < 200 || response.statusCode > 299) {
    return refuse(
      "token-mint-rejected",
      `${step} answered ${response.statusCode}: ${whatToCheck(response.statusCode)}`,
    );
  }
  const answer = jsonObject(response);
  const token = answer?.token;
  if (typeof token !== "string" || token === "" || !isFieldValue(token)) {
    return refuse("token-mint-invalid", `${step} answered ${response.statusCode} without a usable token`);
  }
  const expires = typeof answer?.expires_at === "string" ? Date.parse(answer.expires_at) : Number.NaN;
  const expiresAt = Number.isFinite(expires) ? expires : undefined;
  return {
    kind: "github-app",
    value: token,
    reuseUntil: reuseUntil(now, expiresAt),
    ...(expiresAt ? { expiresAt } : {}),
  };
}
