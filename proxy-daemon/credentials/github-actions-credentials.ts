/**
 * Keyless CI: with `--role-arn`, the daemon gets its own AWS credentials from the CI's OIDC ID token.
 * - GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN present, i.e. `permissions: id-token: write`): asks
 *   the runner for a fresh ID token with the chosen audience before each AssumeRoleWithWebIdentity.
 * - Elsewhere, a token file (AWS_WEB_IDENTITY_TOKEN_FILE, e.g. CircleCI's $CIRCLE_OIDC_TOKEN_V2 written out),
 *   re-read before each AssumeRoleWithWebIdentity.
 * Either way the credentials are refreshed before they expire, so jobs longer than the role session work.
 * Without `--role-arn` nothing changes: the SDK's default chain (which also reads AWS_ROLE_ARN +
 * AWS_WEB_IDENTITY_TOKEN_FILE) is used.
 */
import { readFile } from "node:fs/promises";
import { CiCredentialsError } from "./ci-credentials-error";
import {
  DEFAULT_AUDIENCE,
  fetchGitHubIdToken,
  ID_TOKEN_TOKEN_ENV,
  ID_TOKEN_URL_ENV,
} from "./github-id-token";
import { type RefreshingCredentials, refreshingCredentials } from "./refreshing-credentials";
import { assumeRoleWithWebIdentity, createUnsignedStsClient, roleSessionName } from "./web-identity-role";

export { DEFAULT_AUDIENCE };
export const TOKEN_FILE_ENV = "AWS_WEB_IDENTITY_TOKEN_FILE";

export type CiCredentialsSource = "github-actions" | "token-file";

/** The part of a pino logger this needs. */
export interface CiLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface CiCredentialsOptions {
  /** `--role-arn`; without it the default chain is used and nothing here runs. */
  roleArn?: string;
  /** `--audience`, for GitHub's ID token; default sts.amazonaws.com. */
  audience?: string;
  env: Readonly<Record<string, string | undefined>>;
  log?: CiLog;
  /** Role session length; default STS's (one hour). Tests use a few seconds to see refreshes. */
  durationSeconds?: number;
  /** Refresh margin before expiry; see refreshingCredentials. */
  refreshMarginMs?: number;
  region?: string;
}

export type CiCredentials =
  | { kind: "default-chain" }
  | {
      kind: "role";
      source: CiCredentialsSource;
      roleArn: string;
      roleSessionName: string;
      provider: RefreshingCredentials;
    }
  | { kind: "error"; message: string };

export function missingTokenMessage(): string {
  return `--role-arn is set but there is no OIDC token to assume the role with: ${ID_TOKEN_URL_ENV} and ${ID_TOKEN_TOKEN_ENV} are not set, and neither is ${TOKEN_FILE_ENV}. In GitHub Actions, add "permissions: id-token: write" to the job (or the workflow); elsewhere (e.g. CircleCI), write the OIDC token to a file and set ${TOKEN_FILE_ENV} to its path`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CiCredentialsError(
      "token-file",
      `cannot read ${TOKEN_FILE_ENV} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      false,
    );
  }
  const token = text.trim();
  if (!token) throw new CiCredentialsError("token-file", `${TOKEN_FILE_ENV} (${path}) is empty`, false);
  return token;
}

/** Chooses the token source from the environment; no I/O yet. */
export function ciCredentialsFromEnv(options: CiCredentialsOptions): CiCredentials {
  const roleArn = nonEmpty(options.roleArn);
  if (!roleArn) return { kind: "default-chain" };
  const { env } = options;
  const audience = nonEmpty(options.audience) ?? DEFAULT_AUDIENCE;
  const requestUrl = nonEmpty(env[ID_TOKEN_URL_ENV]);
  const requestToken = nonEmpty(env[ID_TOKEN_TOKEN_ENV]);
  const tokenFile = nonEmpty(env[TOKEN_FILE_ENV]);

  let source: CiCredentialsSource;
  let token: () => Promise<string>;
  if (requestUrl && requestToken) {
    source = "github-actions";
    token = () => fetchGitHubIdToken({ requestUrl, requestToken, audience });
  } else if (tokenFile) {
    source = "token-file";
    token = () => readTokenFile(tokenFile);
  } else {
    return { kind: "error", message: missingTokenMessage() };
  }

  const runId = nonEmpty(env.GITHUB_RUN_ID);
  const sessionName = roleSessionName(
    runId
      ? `${runId}${env.GITHUB_RUN_ATTEMPT ? `-${env.GITHUB_RUN_ATTEMPT}` : ""}`
      : (nonEmpty(env.CIRCLE_WORKFLOW_JOB_ID) ?? nonEmpty(env.CIRCLE_BUILD_NUM)),
  );
  const sts = createUnsignedStsClient(options.region);
  const { log } = options;
  const provider = refreshingCredentials({
    ...(options.refreshMarginMs !== undefined ? { marginMs: options.refreshMarginMs } : {}),
    fetch: async () => {
      const identity = await assumeRoleWithWebIdentity(sts, {
        roleArn,
        roleSessionName: sessionName,
        token,
        audience,
        ...(options.durationSeconds ? { durationSeconds: options.durationSeconds } : {}),
      });
      log?.info(
        { roleArn, source, roleSessionName: sessionName, expiration: identity.expiration?.toISOString() },
        `assumed ${roleArn} with the ${source === "github-actions" ? "GitHub Actions ID token" : "web identity token file"}`,
      );
      return identity;
    },
    onStaleServed: (error, expiration) =>
      log?.warn(
        { roleArn, error: error.message, expiration: expiration.toISOString() },
        "refreshing role credentials failed; using the current ones until they expire",
      ),
  });
  return { kind: "role", source, roleArn, roleSessionName: sessionName, provider };
}

/**
 * ciCredentialsFromEnv, then one eager fetch so that a configuration mistake (no token, trust policy,
 * audience) stops the daemon at start with the reason. Transient failures are only logged: the daemon's
 * start-up check retries them.
 */
export async function startCiCredentials(options: CiCredentialsOptions): Promise<CiCredentials> {
  const chosen = ciCredentialsFromEnv(options);
  if (chosen.kind !== "role") return chosen;
  try {
    await chosen.provider();
  } catch (err) {
    if (err instanceof CiCredentialsError && !err.transient) return { kind: "error", message: err.message };
    options.log?.warn(
      { roleArn: chosen.roleArn, error: (err as Error).message },
      "could not get role credentials yet; will retry",
    );
  }
  return chosen;
}
