/**
 * Keyless CI credentials, in process, against a fake Actions ID-token endpoint and moto's STS (through a
 * tap that records what reached it): the ID token goes to AssumeRoleWithWebIdentity, the assumed-role keys
 * (ASIA…) sign the Lambda Invokes, and both are refreshed before a short role session expires.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ciCredentialsFromEnv,
  startCiCredentials,
} from "../../proxy-daemon/credentials/github-actions-credentials";
import { createLambdaClient } from "../../proxy-daemon/invoke/lambda/lambda-client";
import { type FakeActionsOidc, startFakeActionsOidc } from "../support/fake-actions-oidc";
import { sharedMoto } from "../support/shared-moto";
import { type InvokeRecorder, type StsTap, startInvokeRecorder, startStsTap } from "./ci-recorders";

const ROLE = "arn:aws:iam::123456789012:role/ci-sign-proxy";
const REGION = "us-east-1";
let oidc: FakeActionsOidc;
let sts: StsTap;
let lambda: InvokeRecorder;

beforeAll(async () => {
  oidc = await startFakeActionsOidc();
  sts = await startStsTap(sharedMoto().endpoint);
  lambda = await startInvokeRecorder();
  // No static keys anywhere: whatever signs the Invoke must come from the role.
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) {
    delete process.env[name];
  }
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
  process.env.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
});

afterAll(async () => {
  await oidc?.stop();
  await sts?.stop();
  await lambda?.stop();
});

function invoke(client: ReturnType<typeof createLambdaClient>) {
  return client.send(new InvokeCommand({ FunctionName: "sign-proxy", Payload: Buffer.from("{}") }));
}

describe("GitHub Actions OIDC -> STS -> Lambda Invoke", () => {
  it("assumes the role with a fresh ID token, signs Invokes with the ASIA keys, refreshes both before expiry", async () => {
    const ci = ciCredentialsFromEnv({
      roleArn: ROLE,
      audience: "sts.amazonaws.com",
      env: { ...oidc.env, GITHUB_RUN_ID: "9001" },
      durationSeconds: 3,
      region: REGION,
    });
    if (ci.kind !== "role") throw new Error(`expected a role provider, got ${ci.kind}`);
    const client = createLambdaClient({ credentials: ci.provider, region: REGION });
    try {
      const oidcBefore = oidc.requests.length;
      const stsBefore = sts.calls.length;
      const invokesBefore = lambda.invokes.length;

      // Concurrent first use: one token, one AssumeRoleWithWebIdentity.
      await Promise.all([invoke(client), invoke(client), invoke(client)]);
      expect(oidc.requests.length - oidcBefore).toBe(1);
      expect(sts.calls.length - stsBefore).toBe(1);
      const first = sts.calls.at(-1);
      expect(first?.fields).toMatchObject({
        Action: "AssumeRoleWithWebIdentity",
        RoleArn: ROLE,
        RoleSessionName: "ssm-sign-proxy-9001",
        WebIdentityToken: oidc.issued.at(-1),
      });
      expect(oidc.requests.at(-1)?.authorization).toBe(`Bearer ${oidc.requestToken}`);
      expect(oidc.requests.at(-1)?.audience).toBe("sts.amazonaws.com");
      expect(first?.accessKeyId).toMatch(/^ASIA/);
      const firstInvokes = lambda.invokes.slice(invokesBefore);
      expect(firstInvokes.map((i) => i.accessKeyId)).toEqual([
        first?.accessKeyId,
        first?.accessKeyId,
        first?.accessKeyId,
      ]);
      expect(firstInvokes.every((i) => i.hasSessionToken)).toBe(true);

      // A 3 s session is refreshed a quarter of its lifetime early: at ~2.25 s.
      await new Promise((r) => setTimeout(r, 2_600));
      await invoke(client);
      expect(oidc.requests.length - oidcBefore).toBe(2);
      expect(sts.calls.length - stsBefore).toBe(2);
      const second = sts.calls.at(-1);
      expect(second?.fields.WebIdentityToken).toBe(oidc.issued.at(-1));
      expect(second?.fields.WebIdentityToken).not.toBe(first?.fields.WebIdentityToken);
      expect(second?.accessKeyId).toMatch(/^ASIA/);
      expect(second?.accessKeyId).not.toBe(first?.accessKeyId);
      expect(lambda.invokes.at(-1)?.accessKeyId).toBe(second?.accessKeyId);
    } finally {
      client.destroy();
    }
  });
});

describe("a web identity token file (e.g. CircleCI's $CIRCLE_OIDC_TOKEN_V2 written out)", () => {
  it("sends the file's token to STS, re-reading it for each refresh", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ci-token-"));
    const file = join(dir, "token");
    try {
      writeFileSync(file, "circleci-token-1\n");
      const ci = ciCredentialsFromEnv({
        roleArn: ROLE,
        env: { AWS_WEB_IDENTITY_TOKEN_FILE: file, CIRCLE_BUILD_NUM: "77" },
        durationSeconds: 2,
        region: REGION,
      });
      if (ci.kind !== "role") throw new Error(`expected a role provider, got ${ci.kind}`);
      expect((await ci.provider()).accessKeyId).toMatch(/^ASIA/);
      expect(sts.calls.at(-1)?.fields).toMatchObject({
        WebIdentityToken: "circleci-token-1",
        RoleSessionName: "ssm-sign-proxy-77",
      });
      writeFileSync(file, "circleci-token-2\n");
      await new Promise((r) => setTimeout(r, 1_700));
      await ci.provider();
      expect(sts.calls.at(-1)?.fields.WebIdentityToken).toBe("circleci-token-2");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("startCiCredentials: failing early with the reason", () => {
  it("a refused ID-token request stops the start with the HTTP status", async () => {
    const ci = await startCiCredentials({
      roleArn: ROLE,
      env: { ...oidc.env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "not-the-runner-token" },
      region: REGION,
    });
    expect(ci.kind).toBe("error");
    const message = ci.kind === "error" ? ci.message : "";
    expect(message).toMatch(/ID token request to 127\.0\.0\.1:\d+ answered HTTP 401/);
    expect(message).not.toContain("not-the-runner-token");
  });

  it("a transient ID-token failure is logged and left to the daemon's retries", async () => {
    oidc.failNext(503, 3);
    const warnings: string[] = [];
    const ci = await startCiCredentials({
      roleArn: ROLE,
      env: oidc.env,
      region: REGION,
      log: { info: () => {}, warn: (_fields, msg) => warnings.push(msg) },
    });
    expect(ci.kind).toBe("role");
    expect(warnings).toEqual(["could not get role credentials yet; will retry"]);
    // The next use succeeds once the endpoint recovers.
    if (ci.kind === "role") expect((await ci.provider()).accessKeyId).toMatch(/^ASIA/);
  });
});
