/**
 * One AssumeRoleWithWebIdentity call: an OIDC ID token in, temporary role credentials out. STS errors become
 * a CiCredentialsError naming the role, the error code and what to check; the token never appears.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  AssumeRoleWithWebIdentityCommand,
  type AssumeRoleWithWebIdentityCommandOutput,
  STSClient,
} from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentity } from "@smithy/types";
import { CiCredentialsError } from "./ci-credentials-error";

export interface WebIdentityRoleOptions {
  roleArn: string;
  roleSessionName: string;
  /** Gets a token for each call: CI ID tokens are short-lived, so each refresh needs a new one. */
  token: () => Promise<string>;
  /** Used only to say what to check when STS refuses. */
  audience?: string;
  durationSeconds?: number;
  region?: string;
}

/**
 * An STS client that never looks for credentials: AssumeRoleWithWebIdentity is an unsigned call (the token is
 * the proof), and walking the default chain here could pick up unrelated keys or wait on IMDS.
 * The endpoint follows the SDK's rules (AWS_ENDPOINT_URL_STS, regional endpoints). No keep-alive: one call
 * an hour does not need a pooled socket, and none is left to hold the process open.
 */
export function createUnsignedStsClient(region?: string): STSClient {
  return new STSClient({
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: false }),
      httpsAgent: new HttpsAgent({ keepAlive: false }),
      connectionTimeout: 5_000,
      requestTimeout: 15_000,
    }),
    ...(region ? { region } : {}),
    credentials: async () => {
      throw new CiCredentialsError(
        "sts",
        "AssumeRoleWithWebIdentity is unsigned and needs no credentials",
        false,
      );
    },
  });
}

/** `ssm-sign-proxy-<id>` with only the characters STS allows ([\w+=,.@-]), at most 64 of them. */
export function roleSessionName(id: string | undefined): string {
  const suffix = (id ?? String(Date.now())).replace(/[^\w+=,.@-]/g, "-");
  return `ssm-sign-proxy-${suffix}`.slice(0, 64);
}

interface StsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function describeStsError(err: unknown, options: WebIdentityRoleOptions): CiCredentialsError {
  const e = (err ?? {}) as StsErrorShape;
  const code = (e.Code ?? e.name ?? "Error").replace(/Exception$/, "");
  const status = e.$metadata?.httpStatusCode;
  const detail = `${code}${e.message ? `: ${e.message}` : ""}`;
  const role = options.roleArn;
  const audience = options.audience ?? "the token's audience";
  const prefix = `sts:AssumeRoleWithWebIdentity for ${role} failed (${detail})`;
  switch (code) {
    case "AccessDenied":
      return new CiCredentialsError(
        "sts",
        `${prefix}. Check the role ARN, and that the role's trust policy allows this token: Principal.Federated is this account's OIDC provider for the issuer (token.actions.githubusercontent.com or oidc.circleci.com/org/ORG_ID), the "aud" condition is ${audience}, and the "sub" condition matches this repository, branch or environment (e.g. repo:OWNER/REPO:ref:refs/heads/main)`,
        false,
      );
    case "InvalidIdentityToken":
      return new CiCredentialsError(
        "sts",
        `${prefix}. Check that an IAM OIDC identity provider exists for the token's issuer in the role's account and lists ${audience} as a client ID (audience); --audience must match it`,
        false,
      );
    case "IDPRejectedClaim":
      return new CiCredentialsError(
        "sts",
        `${prefix}. The identity provider's claims do not satisfy the role; check the trust policy's conditions`,
        false,
      );
    case "ExpiredToken":
      return new CiCredentialsError(
        "sts",
        `${prefix}. The ID token had expired; a token file must be rewritten with a fresh token (CircleCI: $CIRCLE_OIDC_TOKEN_V2 lasts one hour), and the host clock must be right`,
        true,
      );
    case "ValidationError":
      return new CiCredentialsError("sts", `${prefix}. Check the --role-arn value`, false);
    case "RegionDisabled":
      return new CiCredentialsError("sts", `${prefix}. Enable STS in this region or set AWS_REGION`, false);
  }
  if (/region is missing/i.test(e.message ?? "")) {
    return new CiCredentialsError(
      "sts",
      `sts:AssumeRoleWithWebIdentity for ${role}: no AWS region; set AWS_REGION (the action's aws-region input)`,
      false,
    );
  }
  const transient =
    code === "IDPCommunicationError" || /throttl/i.test(code) || status === undefined || status >= 500;
  return new CiCredentialsError("sts", prefix, transient);
}

/** Fetches a token and exchanges it for the role's credentials. */
export async function assumeRoleWithWebIdentity(
  sts: STSClient,
  options: WebIdentityRoleOptions,
): Promise<AwsCredentialIdentity> {
  const token = await options.token();
  let out: AssumeRoleWithWebIdentityCommandOutput;
  try {
    out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.roleSessionName,
        WebIdentityToken: token,
        ...(options.durationSeconds ? { DurationSeconds: options.durationSeconds } : {}),
      }),
    );
  } catch (err) {
    throw describeStsError(err, options);
  }
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new CiCredentialsError(
      "sts",
      `sts:AssumeRoleWithWebIdentity for ${options.roleArn} answered without credentials`,
      true,
    );
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    ...(c.Expiration ? { expiration: c.Expiration } : {}),
  };
}
