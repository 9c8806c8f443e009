/**
 * OAuth2 client credentials (RFC 6749 §4.4): `grant_type=client_credentials` to the token URL, the client
 * authenticated with HTTP Basic (`client_secret_basic`, §2.3.1, the default) or in the form body
 * (`client_secret_post`). The answer's `access_token` goes out as a Bearer token (RFC 6750).
 */
import { isFieldValue } from "../core/http-syntax";
import { type Refusal, refuse } from "../core/refusal";
import type { OAuth2Source } from "../signing/token-source-types";
import { type MintedToken, reuseUntil } from "./minted-token";
import { jsonObject, postToTokenEndpoint, type UpstreamSend } from "./token-endpoint";

/** §2.3.1: client id and secret are form-encoded before they are joined and base64-encoded. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

function whatToCheck(error: string | undefined, status: number): string {
  if (error === "invalid_client" || status === 401) return "check oauth2/client-id and oauth2/client-secret";
  if (error === "invalid_scope") return "check oauth2/scope";
  if (error === "unauthorized_client")
    return "allow the client_credentials grant for this client at the authorization server";
  if (error === "invalid_target" || error === "invalid_request")
    return "check oauth2/audience and oauth2/scope";
  if (status === 404) return "check oauth2/token-url";
  return "check the oauth2/ parameters";
}

/** The server's `error` code, if it is a plain RFC 6749 §5.2-style token (never free text from the body). */
function errorCode(answer: Record<string, unknown> | undefined): string | undefined {
  const error = answer?.error;
  return typeof error === "string" && /^[a-z_]{1,40}$/.test(error) ? error : undefined;
}

export async function mintOAuth2Token(
  source: OAuth2Source,
  timeoutMs: number,
  send?: UpstreamSend,
): Promise<MintedToken | Refusal> {
  const step = `OAuth2 token request to ${source.tokenUrl.host}`;
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (source.scope) form.set("scope", source.scope);
  if (source.audience) form.set("audience", source.audience);
  const headers: Array<[string, string]> = [
    ["accept", "application/json"],
    ["content-type", "application/x-www-form-urlencoded"],
    ["user-agent", "ssm-sign-proxy"],
  ];
  if (source.authMethod === "client_secret_post") {
    form.set("client_id", source.clientId);
    form.set("client_secret", source.clientSecret);
  } else {
    const pair = `${formEncode(source.clientId)}:${formEncode(source.clientSecret)}`;
    headers.push(["authorization", `Basic ${Buffer.from(pair, "utf8").toString("base64")}`]);
  }
  const response = await postToTokenEndpoint({
    step,
    url: source.tokenUrl,
    headers,
    body: Buffer.from(form.toString(), "utf8"),
    timeoutMs,
    ...(send ? { send } : {}),
  });
  if (!("statusCode" in response)) return response;
  const now = Date.now();
  const answer = jsonObject(response);
  if (response.statusCode < 200 || response.statusCode > 299) {
    const error = errorCode(answer);
    return refuse(
      "token-mint-rejected",
      `${step} answered ${response.statusCode}${error ? ` ${error}` : ""}: ${whatToCheck(error, response.statusCode)}`,
    );
  }
  const token = answer?.access_token;
  if (typeof token !== "string" || token === "" || !isFieldValue(token)) {
    return refuse(
      "token-mint-invalid",
      `${step} answered ${response.statusCode} without a usable access_token`,
    );
  }
  const type = answer?.token_type;
  // RFC 6749 requires token_type; some servers omit it. Anything but Bearer needs more than a header (DPoP, MAC).
  if (type !== undefined && (typeof type !== "string" || type.toLowerCase() !== "bearer")) {
    return refuse(
      "token-mint-invalid",
      `${step} answered a token_type other than Bearer: only Bearer tokens can be attached`,
    );
  }
  const lifetime = answer?.expires_in;
  const seconds =
    typeof lifetime === "number" ? lifetime : typeof lifetime === "string" ? Number(lifetime) : Number.NaN;
  const expiresAt = Number.isFinite(seconds) && seconds > 0 ? now + seconds * 1000 : undefined;
  return {
    kind: "oauth2",
    value: token,
    reuseUntil: reuseUntil(now, expiresAt),
    ...(expiresAt ? { expiresAt } : {}),
  };
}
