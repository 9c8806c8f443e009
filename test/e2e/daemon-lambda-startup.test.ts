/**
 * Lambda mode start-up against moto: a permanent failure (unknown function) exits non-zero at once with a
 * message naming the function, the caller identity and the missing permission, also when the identity is a
 * role assumed through web identity; a transient one (Lambda unreachable) leaves the daemon serving 503s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getFreePort } from "../support/free-port";
import { sharedMoto } from "../support/shared-moto";
import { curl } from "./clients";
import { startDaemonProcess } from "./daemon-process";

const moto = sharedMoto();
const tokenDir = mkdtempSync(join(tmpdir(), "web-identity-"));
afterAll(() => rmSync(tokenDir, { recursive: true, force: true }));

describe("Lambda mode start-up check (DryRun invoke)", () => {
  it("exits non-zero for an unknown function, naming the function, the caller and lambda:InvokeFunction", async () => {
    const daemon = await startDaemonProcess({
      args: ["--function-name", "no-such-signer"],
      env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: moto.endpoint },
      expectExit: true,
    });
    expect(await daemon.exited).toBe(1);
    const output = daemon.output();
    expect(output).toContain("no-such-signer");
    expect(output).toContain("arn:aws:sts::123456789012:user/moto");
    expect(output).toContain("lambda:InvokeFunction");
    expect(output).toContain("function not found");
  });

  it("runs under a role assumed with web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) and names it", async () => {
    const tokenFile = join(tokenDir, "token");
    writeFileSync(tokenFile, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.");
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutKeys } = moto.env;
    const daemon = await startDaemonProcess({
      args: ["--function-name", "no-such-signer"],
      env: {
        ...withoutKeys,
        AWS_ENDPOINT_URL_LAMBDA: moto.endpoint,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/sign-proxy-daemon",
      },
      expectExit: true,
    });
    expect(await daemon.exited).toBe(1);
    expect(daemon.output()).toMatch(/assumed-role\/sign-proxy-daemon\//);
  });

  it("keeps serving with 503 (and an unhealthy /healthz) while Lambda is unreachable, retrying in the background", async () => {
    const closedPort = await getFreePort();
    const daemon = await startDaemonProcess({
      args: ["--function-name", "signer"],
      env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${closedPort}`, AWS_MAX_ATTEMPTS: "1" },
    });
    try {
      await daemon.waitForLog((l) => String(l.msg).includes("retrying in the background"));
      const health = await fetch(`http://127.0.0.1:${daemon.port}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: "unavailable",
        mode: "lambda",
        function: "signer",
      });
      const answer = await curl(daemon.proxyUrl, "http://api.example.com/");
      expect(answer.status).toBe(503);
      expect(answer.body).toContain("signer not ready");
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});

describe("Lambda mode start-up: misconfigurations no retry can fix exit 1 at once, naming the fix", () => {
  // An empty home: no ~/.aws/config or credentials file to pick a region or profile from.
  const home = mkdtempSync(join(tmpdir(), "no-aws-home-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _defaultRegion, ...withoutRegion } = moto.env;

  const exitsWith = async (args: string[], env: Record<string, string>) => {
    const daemon = await startDaemonProcess({
      args,
      env: { HOME: home, AWS_ENDPOINT_URL_LAMBDA: moto.endpoint, ...env },
      expectExit: true,
    });
    return { code: await daemon.exited, output: daemon.output() };
  };

  it("no region anywhere (env, profile, instance metadata): says to set AWS_REGION", async () => {
    const { code, output } = await exitsWith(["--function-name", "signer"], withoutRegion);
    expect(code).toBe(1);
    expect(output).toContain("no AWS region");
    expect(output).toContain("AWS_REGION=");
    expect(output).not.toContain("retrying in the background");
  });

  it("a full function ARN supplies the region itself", async () => {
    const { code, output } = await exitsWith(
      ["--function-name", "arn:aws:lambda:us-east-1:123456789012:function:no-such-signer"],
      withoutRegion,
    );
    expect(code).toBe(1);
    expect(output).toContain("function not found");
    expect(output).not.toContain("no AWS region");
  });

  it("AWS_PROFILE naming a profile that does not exist: names the profile and the files looked in", async () => {
    const { code, output } = await exitsWith(["--function-name", "signer"], {
      ...moto.env,
      AWS_PROFILE: "nosuch",
    });
    expect(code).toBe(1);
    expect(output).toContain("AWS_PROFILE=nosuch");
    expect(output).toContain(join(home, ".aws", "config"));
    expect(output).toContain("aws configure list-profiles");
  });

  it.each([
    ["arn:aws:lambda:us-east-1:function:signer", "is not a Lambda function ARN"],
    ["arn:aws:lambda:us-east-1:12345:function:signer", "is not a Lambda function ARN"],
    ["my signer", "is not a Lambda function name"],
  ])("a malformed --function-name %j: %s", async (name, message) => {
    const { code, output } = await exitsWith(["--function-name", name], moto.env);
    expect(code).toBe(1);
    expect(output).toContain(message);
  });
});
