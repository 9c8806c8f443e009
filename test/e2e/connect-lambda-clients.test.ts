/**
 * https_proxy in Lambda mode: the same clients as in local mode, with parameters in (moto) SSM and the built
 * function behind the test Invoke API. The daemon only terminates the client's TLS; the function still dials
 * the API over HTTPS and verifies its certificate.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PLACEHOLDER } from "../../lambda/scrub/scrub-text";
import type { EchoResponse, HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { seedParameters } from "../support/moto";
import { receivedHeader } from "../support/received";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { curlVia, pythonVia, tunnelEnv, undiciEnvAgent, undiciProxyAgent, wgetVia } from "./tunnel-clients";

const moto = sharedMoto();
const prefix = uniquePrefix("connect-lambda");
const secret = `lambda-tunnel-${randomBytes(6).toString("hex")}`;
const FUNCTION = "sign-proxy-connect";
let upstream: HttpsUpstream;
let lambda: LambdaInvokeEndpoint;
let daemon: DaemonProcess;
let caDir: string;
let caPem: string;
let env: Record<string, string>;

const injected = (body: string): string[] =>
  (JSON.parse(body) as EchoResponse).headers
    .filter(([n]) => n.toLowerCase() === "x-api-key")
    .map(([, v]) => v);

/** The upstream received the secret; the client's copy of the echo has it scrubbed (it never holds the token). */
function expectSigned(body: string): void {
  const echo = JSON.parse(body) as EchoResponse;
  expect(receivedHeader(upstream, echo.path, "X-Api-Key")).toEqual([secret]);
  expect(body).not.toContain(secret);
  expect(injected(body)).toEqual([DEFAULT_PLACEHOLDER]);
}

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  await seedParameters(moto.endpoint, { [`${prefix}${upstream.hostKey}/headers/X-Api-Key`]: secret });
  lambda = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: { SSM_SIGN_PROXY_PREFIX: prefix, AWS_ENDPOINT_URL_SSM: moto.endpoint },
  });
  caDir = mkdtempSync(join(tmpdir(), "sign-proxy-ca-"));
  daemon = await startDaemonProcess({
    args: ["--function-name", FUNCTION, "--intercept", "--ca-dir", caDir],
    env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint },
  });
  caPem = readFileSync(join(caDir, "ca.pem"), "utf8");
  env = tunnelEnv(daemon.proxyUrl, join(caDir, "ca.pem"));
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await lambda?.stop();
  await upstream?.stop();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

describe("Lambda mode: https:// URLs through an intercepted tunnel", () => {
  it("curl, wget and Python urllib get the token injected by the function", async () => {
    for (const [name, client] of Object.entries({ curl: curlVia, wget: wgetVia, python: pythonVia })) {
      const answer = await client(env, `${upstream.origin}/echo/${name}`);
      expect(answer.status, name).toBe(200);
      expectSigned(answer.body);
    }
  });

  it("Node undici EnvHttpProxyAgent and ProxyAgent, for https:// (interception) and http:// (plain tunnel)", async () => {
    for (const origin of [upstream.origin, `http://localhost:${upstream.port}`]) {
      for (const client of [undiciEnvAgent, undiciProxyAgent]) {
        const answer = await client(daemon.proxyUrl, caPem, `${origin}/echo/node`);
        expect(answer.status, origin).toBe(200);
        expectSigned(answer.body);
      }
    }
  });

  it("the secret never reaches the daemon's log", () => {
    expect(daemon.output()).not.toContain(secret);
  });
});
