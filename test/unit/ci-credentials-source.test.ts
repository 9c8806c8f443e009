/**
 * Which credentials the daemon uses in CI, decided from --role-arn and the environment alone: GitHub's
 * ID-token variables first, then a token file, else a start-up error that says to add id-token: write.
 */
import { describe, expect, it } from "vitest";
import {
  ciCredentialsFromEnv,
  missingTokenMessage,
} from "../../proxy-daemon/credentials/github-actions-credentials";
import { roleSessionName } from "../../proxy-daemon/credentials/web-identity-role";

const ROLE = "arn:aws:iam::123456789012:role/ci";
const ACTIONS = {
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.example/idtoken?api-version=2.0",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
};

describe("ciCredentialsFromEnv", () => {
  it("leaves the SDK's default chain alone without --role-arn, even inside GitHub Actions", () => {
    expect(ciCredentialsFromEnv({ env: ACTIONS }).kind).toBe("default-chain");
    expect(ciCredentialsFromEnv({ roleArn: " ", env: ACTIONS }).kind).toBe("default-chain");
  });

  it("uses the GitHub Actions ID token when both ACTIONS_ID_TOKEN_REQUEST_* variables are set", () => {
    const ci = ciCredentialsFromEnv({
      roleArn: ROLE,
      env: {
        ...ACTIONS,
        AWS_WEB_IDENTITY_TOKEN_FILE: "token-file-that-is-never-read",
        GITHUB_RUN_ID: "42",
        GITHUB_RUN_ATTEMPT: "2",
      },
    });
    expect(ci).toMatchObject({ kind: "role", source: "github-actions", roleArn: ROLE });
    expect(ci.kind === "role" && ci.roleSessionName).toBe("ssm-sign-proxy-42-2");
  });

  it("falls back to AWS_WEB_IDENTITY_TOKEN_FILE (e.g. CircleCI's token written to a file)", () => {
    const ci = ciCredentialsFromEnv({
      roleArn: ROLE,
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: ACTIONS.ACTIONS_ID_TOKEN_REQUEST_URL,
        AWS_WEB_IDENTITY_TOKEN_FILE: "/t",
      },
    });
    expect(ci).toMatchObject({ kind: "role", source: "token-file" });
  });

  it("fails at start, saying to add id-token: write, when there is no token at all", () => {
    const ci = ciCredentialsFromEnv({ roleArn: ROLE, env: { GITHUB_ACTIONS: "true" } });
    expect(ci).toEqual({ kind: "error", message: missingTokenMessage() });
    expect(missingTokenMessage()).toContain('add "permissions: id-token: write"');
    expect(missingTokenMessage()).toContain("ACTIONS_ID_TOKEN_REQUEST_URL");
    expect(missingTokenMessage()).toContain("AWS_WEB_IDENTITY_TOKEN_FILE");
  });
});

describe("roleSessionName", () => {
  it("keeps only the characters STS allows and at most 64 of them", () => {
    expect(roleSessionName("123/4:5 6")).toBe("ssm-sign-proxy-123-4-5-6");
    const long = roleSessionName("x".repeat(100));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[\w+=,.@-]+$/);
  });
});
