/**
 * A fresh GitHub Actions OIDC ID token, the way actions/core's getIDToken asks for one:
 * `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD` with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 * answered with `{"value": "<jwt>"}`. The runner only sets both variables when the job has
 * `permissions: id-token: write`.
 */
import { withRetries } from "../../lambda/aws/retry";
import { CiCredentialsError } from "./ci-credentials-error";

export interface GitHubIdTokenSource {
  /** `ACTIONS_ID_TOKEN_REQUEST_URL` (already carries a query, e.g. `?api-version=2.0`). */
  requestUrl: string;
  /** `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. Secret. */
  requestToken: string;
  /** The `aud` claim to ask for; STS wants the one the IAM OIDC provider lists (default sts.amazonaws.com). */
  audience: string;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** Attempts for 5xx/429/network failures, including the first; default 3. */
  attempts?: number;
}

/** What AWS's IAM OIDC providers expect by default (and configure-aws-credentials asks for). */
export const DEFAULT_AUDIENCE = "sts.amazonaws.com";
export const ID_TOKEN_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL";
export const ID_TOKEN_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/** The request URL with `audience` added to its existing query (or a new one). */
export function idTokenUrl(requestUrl: string, audience: string): URL {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new CiCredentialsError("id-token", `${ID_TOKEN_URL_ENV} is not a valid URL`, false);
  }
  url.searchParams.set("audience", audience);
  return url;
}

function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

async function attempt(source: GitHubIdTokenSource, url: URL): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${source.requestToken}`, Accept: "application/json" },
      signal: AbortSignal.timeout(source.timeoutMs ?? 10_000),
    });
  } catch (err) {
    const cause = (err as Error).name === "TimeoutError" ? "timed out" : (err as Error).message;
    throw new CiCredentialsError("id-token", `ID token request to ${url.host} failed: ${cause}`, true);
  }
  // The body of a failure is not echoed: only the status, which says enough and cannot leak anything.
  const text = await res.text().catch(() => "");
  if (!res.ok) {
    const hint =
      res.status === 401 || res.status === 403
        ? ` (${ID_TOKEN_TOKEN_ENV} was refused: it is only valid inside the job that received it)`
        : "";
    throw new CiCredentialsError(
      "id-token",
      `ID token request to ${url.host} answered HTTP ${res.status}${hint}`,
      isTransientStatus(res.status),
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value === "") {
    throw new CiCredentialsError(
      "id-token",
      `ID token request to ${url.host} answered HTTP ${res.status} without a "value" field`,
      true,
    );
  }
  return value;
}

/** The first retry waits up to 250 ms, the next up to 500 ms. */
const RETRY_BASE_MS = 250;

/** Fetches one ID token; retries transient failures with a short jittered backoff. */
export async function fetchGitHubIdToken(source: GitHubIdTokenSource): Promise<string> {
  const url = idTokenUrl(source.requestUrl, source.audience);
  return withRetries(() => attempt(source, url), {
    attempts: source.attempts ?? 3,
    retryBaseMs: (err) => (err instanceof CiCredentialsError && err.transient ? RETRY_BASE_MS : undefined),
  });
}
