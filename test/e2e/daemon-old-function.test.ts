/**
 * Hosts first: our daemon (Lambda mode, the built CLI) against a function that answers like the original Go
 * function (fixtures/go-function-stub.mjs behind the test Invoke endpoint). Its result shapes must be decoded
 * as it meant them, and its error messages, which quote the URL it called with the injected query secret, must
 * never reach the client; the daemon logs them at debug level with URLs' query strings removed.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { sharedMoto } from "../support/shared-moto";
import { curl, nodeFetch } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";

const FUNCTION = "ssm-sign-proxy-go-original";
const STUB = resolve(import.meta.dirname, "fixtures/go-function-stub.mjs");
const CANARY = `canary-go-fn-${randomBytes(6).toString("hex")}`;

let lambda: LambdaInvokeEndpoint;
let daemon: DaemonProcess;

beforeAll(async () => {
  const moto = sharedMoto();
  lambda = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    handlerModule: STUB,
    env: { STUB_CANARY: CANARY },
  });
  daemon = await startDaemonProcess({
    args: ["--function-name", FUNCTION, "--timeout", "5", "--log-level", "debug"],
    env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint },
  });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await lambda?.stop();
});

describe("our daemon against the original function's result shapes", () => {
  it("its 407 (headers, multiValueHeaders: null) keeps its Content-Type and body", async () => {
    // curl, not fetch: undici's ProxyAgent turns a 407 into an exception.
    const answer = await curl(daemon.proxyUrl, "http://api.example.com/old/no-params", ["-i"]);
    expect(answer.status).toBe(407);
    expect(answer.body).toMatch(/\r\ncontent-type: text\/plain; charset=utf-8\r\n/i);
    expect(answer.body).toMatch(
      /\r\n\r\nany parameters for signing is not found in AWS System Manager Parameter Store\n$/,
    );
  });

  it("an answer with both header forms is read from multiValueHeaders (every Set-Cookie kept)", async () => {
    const answer = await nodeFetch(daemon.proxyUrl, "http://api.example.com/old/ok");
    expect(answer.status).toBe(200);
    expect(answer.headers?.get("content-type")).toBe("application/json");
    expect(answer.headers?.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(answer.body).toBe('{"ok":true}');
  });
});

describe("the original function's errors, which quote the URL with the injected secret", () => {
  it.each([
    ["/old/fail", "Error"],
    ["/old/fail-unquoted", "errorString"],
  ])("%s: 502 naming only the errorType %s; nothing of the message reaches the client", async (path, type) => {
    const answer = await curl(daemon.proxyUrl, `http://api.example.com${path}`, ["-i"]);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/\r\nx-ssm-sign-proxy-error: function-error\r\n/i);
    expect(answer.body).toContain(
      `the signer failed with a function error (${type}); its message is in the daemon's log at debug level (--log-level debug)\n`,
    );
    expect(answer.body).not.toContain(CANARY);
    expect(answer.body).not.toContain(encodeURIComponent(CANARY));
    expect(answer.body).not.toMatch(/access_token|token=|no such host|request canceled/);
  });

  it("logs the message at debug level with the URL's query string removed, and nowhere else", async () => {
    const lines = daemon.logs.filter((l) => l.msg === "the signer failed with a function error");
    expect(lines.map((l) => l.errorMessage)).toEqual(
      expect.arrayContaining([
        'Get "https://api.example.com/old/fail?…": dial tcp: lookup api.example.com: no such host',
        "Post https://api.example.com/old/fail-unquoted?… net/http: request canceled",
      ]),
    );
    // pino's debug level is 20.
    expect(new Set(lines.map((l) => l.level))).toEqual(new Set([20]));
    expect(daemon.output()).not.toContain(CANARY);
    expect(daemon.output()).not.toContain(encodeURIComponent(CANARY));
  });
});
