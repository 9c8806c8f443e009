/**
 * One table, two signers: the same requests through a Lambda-mode daemon (the built function behind the test
 * suite's Invoke API, parameters in moto SSM) and a local-mode daemon (the same handler in-process, parameters
 * in a file) must get the same answers. Then what only Lambda mode has: DryRun, function errors, throttling,
 * timeouts, an unreachable Lambda, and a caller without lambda:InvokeFunction.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EchoResponse } from "../support/https-upstream";
import { type HttpsUpstream, sha256Hex, startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { MOTO_ACCESS_KEY_ID, seedParameters } from "../support/moto";
import { receivedHeader, SCRUB_PLACEHOLDER } from "../support/received";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { type ClientAnswer, curl, nodeFetch } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const moto = sharedMoto();
const prefix = uniquePrefix("daemon-modes");
const secret = `modes-secret-${randomBytes(6).toString("hex")}`;
const FUNCTION = "sign-proxy-e2e";
const FIXTURE = resolve(import.meta.dirname, "fixtures/handler-with-faults.mjs");

let upstream: HttpsUpstream;
let lambda: LambdaInvokeEndpoint;
let params: ParamsFile;
const daemons: Record<"lambda" | "local", DaemonProcess | undefined> = {
  lambda: undefined,
  local: undefined,
};

const lambdaEnv = (): Record<string, string> => ({ ...moto.env, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint });

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  const parameters = { [`${prefix}${upstream.hostKey}/headers/X-Api-Key`]: secret };
  await seedParameters(moto.endpoint, parameters);
  params = paramsFile(parameters);
  lambda = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    handlerModule: FIXTURE,
    env: { SSM_SIGN_PROXY_PREFIX: prefix, AWS_ENDPOINT_URL_SSM: moto.endpoint },
  });
  [daemons.lambda, daemons.local] = await Promise.all([
    startDaemonProcess({ args: ["--function-name", FUNCTION, "--timeout", "5"], env: lambdaEnv() }),
    startDaemonProcess({
      args: ["--local", params.path, "--prefix", prefix, "--timeout", "5"],
      env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([daemons.lambda?.stop(), daemons.local?.stop()]);
  await lambda?.stop();
  await upstream?.stop();
  params?.remove();
});

const url = (path: string) => `http://localhost:${upstream.port}${path}`;
const echoHeader = (answer: ClientAnswer, name: string) =>
  (JSON.parse(answer.body) as EchoResponse).headers
    .filter(([n]) => n.toLowerCase() === name.toLowerCase())
    .map(([, v]) => v);

interface Case {
  name: string;
  send: (proxyUrl: string) => Promise<ClientAnswer>;
  check: (answer: ClientAnswer) => void;
}

const table: Case[] = [
  {
    name: "injects the token from the parameters into the request",
    send: (p) => nodeFetch(p, url("/echo/table?x=1")),
    check: (a) => {
      expect(a.status).toBe(200);
      expect(receivedHeader(upstream, "/echo/table", "X-Api-Key")).toEqual([secret]);
      // The echo quotes it back: the client gets the placeholder, never the secret.
      expect(echoHeader(a, "X-Api-Key")).toEqual([SCRUB_PLACEHOLDER]);
      expect((JSON.parse(a.body) as EchoResponse).path).toBe("/echo/table?x=1");
    },
  },
  {
    name: "keeps the client's address and proxy headers from the API",
    send: (p) =>
      nodeFetch(p, url("/echo/private"), {
        headers: { "X-Forwarded-For": "10.9.8.7", Forwarded: "for=10.9.8.7", Via: "1.1 corp" },
      }),
    check: (a) => {
      expect(a.status).toBe(200);
      const names = (JSON.parse(a.body) as EchoResponse).headers.map(([n]) => n.toLowerCase());
      expect(names).not.toContain("x-forwarded-for");
      expect(names).not.toContain("forwarded");
      expect(names).not.toContain("via");
      expect(a.body).not.toContain("127.0.0.1");
    },
  },
  {
    name: "sends a POST body unchanged",
    send: (p) => nodeFetch(p, url("/echo/post"), { method: "POST", body: "a=1&b=2" }),
    check: (a) =>
      expect(JSON.parse(a.body)).toMatchObject({
        method: "POST",
        bodyLength: 7,
        bodySha256: sha256Hex("a=1&b=2"),
      }),
  },
  {
    name: "answers 407 naming the parameter folder for a host without parameters",
    // curl: undici's ProxyAgent turns a proxy's 407 into an exception. -i puts the headers in the body.
    send: (p) => curl(p, "http://no-params.example/", ["-i"]),
    check: (a) => {
      expect(a.status).toBe(407);
      expect(a.body).toContain(`${prefix}no-params.example/`);
      expect(a.body).toMatch(/\r\nx-ssm-sign-proxy-error: no-parameters\r\n/i);
    },
  },
  {
    name: "passes the API's own status through",
    send: (p) => nodeFetch(p, url("/status/418")),
    check: (a) => {
      expect(a.status).toBe(418);
      expect(a.headers?.get("x-ssm-sign-proxy-error")).toBeNull();
    },
  },
  {
    name: "relays an API's own 407 without the proxy's marker or its Proxy-Authenticate",
    send: (p) => curl(p, url("/impostor"), ["-i"]),
    check: (a) => {
      expect(a.status).toBe(407);
      expect(a.body).toContain("the API's own 407");
      expect(a.body).not.toMatch(/x-ssm-sign-proxy-error/i);
      expect(a.body).not.toMatch(/proxy-authenticate/i);
    },
  },
  {
    name: "answers an upstream that resets the connection with 502 and the function's code",
    send: (p) => nodeFetch(p, url("/reset")),
    check: (a) => {
      expect(a.status).toBe(502);
      expect(a.body).toMatch(/^upstream localhost:\d+: connection reset by peer/);
      expect(a.headers?.get("x-ssm-sign-proxy-error")).toBe("upstream-reset");
    },
  },
  {
    name: "keeps repeated Set-Cookie headers",
    send: (p) => nodeFetch(p, url("/cookies")),
    check: (a) => expect(a.headers?.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]),
  },
  {
    name: "returns redirects to the client instead of following them",
    send: (p) => nodeFetch(p, url("/redirect?to=https%3A%2F%2Felsewhere.example%2F"), { redirect: "manual" }),
    check: (a) => {
      expect(a.status).toBe(302);
      expect(a.headers?.get("location")).toBe("https://elsewhere.example/");
    },
  },
  {
    name: "returns binary bodies byte for byte",
    send: (p) => nodeFetch(p, url("/binary?size=300000")),
    check: (a) => {
      expect(a.bytes?.length).toBe(300_000);
      expect(sha256Hex(a.bytes ?? Buffer.alloc(0))).toBe(a.headers?.get("x-body-sha256"));
    },
  },
  {
    name: "answers 502 naming the cause when the API resets the connection",
    send: (p) => nodeFetch(p, url("/reset")),
    check: (a) => {
      expect(a.status).toBe(502);
      expect(a.body).toMatch(/reset/);
    },
  },
];

describe.each(["lambda", "local"] as const)("the same answers in %s mode", (mode) => {
  it.each(table)("$name", async ({ send, check }) => {
    const daemon = daemons[mode];
    if (!daemon) throw new Error(`${mode} daemon did not start`);
    check(await send(daemon.proxyUrl));
  });

  it("never prints a parameter value", () => {
    expect(daemons[mode]?.output()).not.toContain(secret);
  });
});

describe("Lambda mode only", () => {
  const proxy = () => daemons.lambda?.proxyUrl ?? "";

  it("checked the function with a DryRun invoke at start", async () => {
    const calls = await lambda.invocations();
    expect(calls.some((c) => c.invocationType === "DryRun" && c.status === 204)).toBe(true);
    expect(
      calls.filter((c) => c.invocationType === "RequestResponse").every((c) => c.accessKeyId !== null),
    ).toBe(true);
  });

  it("tells the function who called (address, host name, mode) in requestContext, for its audit log", async () => {
    await nodeFetch(proxy(), url("/echo/audit-lambda"));
    await expect
      .poll(() => lambda.process.stdout.find((line) => line.includes('"/echo/audit-lambda"')))
      .toBeDefined();
    const line = JSON.parse(lambda.process.stdout.find((l) => l.includes('"/echo/audit-lambda"')) ?? "{}");
    expect(line.caller).toMatchObject({ address: "127.0.0.1", mode: "lambda", hostname: expect.any(String) });
  });

  it("answers 502 naming the errorType (not the message) when the function throws", async () => {
    const answer = await nodeFetch(proxy(), url("/fault/throw"));
    expect(answer.status).toBe(502);
    expect(answer.body).toBe(
      "the signer failed with a function error (TypeError); its message is in the daemon's log at debug level (--log-level debug)\n",
    );
    expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("function-error");
  });

  it("answers 502 when the function's result is over Lambda's response limit", async () => {
    const answer = await nodeFetch(proxy(), url("/fault/huge-result"));
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/^response too large/);
    expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("invoke-response-too-large");
  });

  it("answers 502 signer-result-invalid when the function's result is not an ALB result", async () => {
    const answer = await nodeFetch(proxy(), url("/fault/malformed-result"));
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(
      /^the signer returned a malformed result: function result has no valid statusCode/,
    );
    expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("signer-result-invalid");
  });

  it("answers 503 with Retry-After when Lambda keeps throttling after the SDK's retries, and counts it", async () => {
    await lambda.setFaults({ throttle: true });
    try {
      const answer = await nodeFetch(proxy(), url("/echo/throttled"));
      expect(answer.status).toBe(503);
      expect(answer.body).toMatch(/^throttled: Lambda throttled function sign-proxy-e2e/);
      expect(Number(answer.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("invoke-throttled");
      const calls = (await lambda.invocations()).filter((c) => c.errorType === "TooManyRequestsException");
      expect(calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      await lambda.setFaults({});
    }
    const metrics = await (await fetch(`http://127.0.0.1:${daemons.lambda?.port}/metrics`)).text();
    expect(metrics).toMatch(/ssm_sign_proxy_invoke_errors_total\{type="throttled"\} [1-9]/);
    expect(metrics).toMatch(/ssm_sign_proxy_refusals_total\{code="invoke-throttled"\} [1-9]/);
  });

  it("answers 504 when the function does not answer within --timeout", async () => {
    await lambda.setFaults({ delayMs: 7000 });
    try {
      const answer = await nodeFetch(proxy(), url("/echo/slow"));
      expect(answer.status).toBe(504);
      expect(answer.body).toMatch(/within 5 s/);
      expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("invoke-timeout");
    } finally {
      await lambda.setFaults({});
    }
  });

  it("answers 503 and reports unhealthy while Lambda is unreachable, and recovers", async () => {
    await lambda.setFaults({ down: true });
    try {
      const answer = await nodeFetch(proxy(), url("/echo/down"));
      expect(answer.status).toBe(503);
      expect(answer.body).toMatch(/^signer unavailable: invoking sign-proxy-e2e failed/);
      expect(answer.headers?.get("x-ssm-sign-proxy-error")).toBe("signer-unavailable");
      expect((await fetch(`http://127.0.0.1:${daemons.lambda?.port}/healthz`)).status).toBe(503);
    } finally {
      await lambda.setFaults({});
    }
    expect((await nodeFetch(proxy(), url("/echo/up"))).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${daemons.lambda?.port}/healthz`)).status).toBe(200);
  });

  it("exits non-zero at start when the caller may not invoke the function, naming function, caller and permission", async () => {
    const deniedKey = "AKIADENIEDDAEMON0001";
    await lambda.setFaults({ deniedAccessKeyIds: [deniedKey] });
    try {
      const denied = await startDaemonProcess({
        args: ["--function-name", FUNCTION],
        env: { ...lambdaEnv(), AWS_ACCESS_KEY_ID: deniedKey },
        expectExit: true,
      });
      expect(await denied.exited).toBe(1);
      const output = denied.output();
      expect(output).toContain(`cannot invoke Lambda function ${FUNCTION}`);
      expect(output).toContain("access denied");
      expect(output).toContain("arn:aws:sts::123456789012:");
      expect(output).toContain("lambda:InvokeFunction");
    } finally {
      await lambda.setFaults({});
    }
  });
});

describe("Lambda mode under a role assumed with web identity", () => {
  it("invokes with the role's temporary credentials (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN via moto STS)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "web-identity-"));
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyZXBvOmV4YW1wbGUifQ.");
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _key, ...withoutKeys } = lambdaEnv();
    const daemon = await startDaemonProcess({
      args: ["--function-name", FUNCTION],
      env: {
        ...withoutKeys,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/sign-proxy-ci",
      },
    });
    try {
      await lambda.clearInvocations();
      const answer = await nodeFetch(daemon.proxyUrl, url("/echo/web-identity"));
      expect(answer.status).toBe(200);
      expect(receivedHeader(upstream, "/echo/web-identity", "X-Api-Key")).toEqual([secret]);
      const keys = new Set((await lambda.invocations()).map((c) => c.accessKeyId));
      expect(keys.size).toBe(1);
      const [key] = [...keys];
      expect(key).toBeTruthy();
      expect(key).not.toBe(MOTO_ACCESS_KEY_ID);
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
