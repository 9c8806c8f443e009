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
