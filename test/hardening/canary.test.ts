/**
 * The canary suite: one place that runs a representative scenario of every other hardening suite, in local and
 * in Lambda mode, with canary parameter values (header, basic user and password, query), and then searches
 * everything those runs produced for them: every log line of the daemon and the function, every error body the
 * proxy made up, /metrics, and the text of any exception a client saw. No canary may appear, in raw, base64
 * `user:password` or percent-encoded form, and that includes the upstream's `/echo` answer, which quotes the
 * request it received, secrets included: the function scrubs them from answers (docs/streaming.md). TRACE and a
 * hostile upstream's URL-reflecting answers (a redirect keeping the query, a login wall, a 404 page) are searched too.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curlVia, tunnelEnv } from "../e2e/tunnel-clients";
import { getFreePort } from "../support/free-port";
import { seedParameters } from "../support/moto";
import { sharedMoto } from "../support/shared-moto";
import { findLeaks } from "./support/canary";
import { recordSection } from "./support/figures";
import { type HostileUpstream, startHostileUpstream } from "./support/hostile-upstream";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";
import { type SignedSetup, signingParameters, startSignedSetup } from "./support/local-daemon";
import {
  MINTED_EXPECTED,
  type MintedCanaries,
  runMintedScenarios,
  startMintedCanaries,
} from "./support/minted-canaries";
import { header, rawExchange } from "./support/raw-client";

interface Seen {
  status: number;
  body: string;
}

/** Statuses each scenario got, per mode: the figures, and proof the scenarios really ran. */
const ran: Record<string, Record<string, number>> = {
  local: {},
  lambda: {},
  "minted local": {},
  "minted lambda": {},
};
const exceptions: string[] = [];

/**
 * TRACE and the URL-reflecting answers of the hostile upstream (a redirect keeping the query, a login wall, an
 * Express 404): what the client got, headers and body, goes into the leak search.
 */
async function reflectionScenarios(
  port: number,
  hostileHost: string,
  record: (name: string, status: number, text: string) => void,
): Promise<void> {
  const exchange = async (name: string, method: string, host: string, target: string) => {
    const response = await capture(async () => {
      const raw = await rawExchange(
        port,
        `${method} http://${host}${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      return { status: raw.status, body: `${JSON.stringify(raw.headers)}\n${raw.body.toString("utf8")}` };
    });
    record(name, response.status, response.body);
    return response;
  };
  expect((await exchange("TRACE", "TRACE", hostileHost, "/")).status).toBe(405);
  expect((await exchange("reflected redirect", "GET", hostileHost, "/dir?page=2")).status).toBe(301);
  expect((await exchange("reflected login wall", "GET", hostileHost, "/private?x=1")).status).toBe(302);
  expect((await exchange("reflected 404 page", "GET", hostileHost, "/missing/page")).status).toBe(404);
}

afterAll(() => {
  const count = Object.values(ran).reduce((n, m) => n + Object.keys(m).length, 0);
  recordSection("canary", {
    scenarios: count,
    ran,
    searched: ["daemon output", "function output", "error bodies", "metrics", "exception text"],
    leaks: 0,
  });
});

/** Runs a request; an exception's text is kept for the leak search, then rethrown. */
async function capture(run: () => Promise<Seen>): Promise<Seen> {
  try {
    return await run();
  } catch (error) {
    exceptions.push(error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error));
    throw error;
  }
}

describe("canaries, local mode", () => {
  let setup: SignedSetup;
  let refusedPort: number;
  let hostile: HostileUpstream;
  // --intercept too, so https:// URLs through CONNECT tunnels are searched as well.
  const caDir = mkdtempSync(join(tmpdir(), "canary-ca-"));

  beforeAll(async () => {
    setup = await startSignedSetup(["--timeout", "2", "--intercept", "--ca-dir", caDir]);
    refusedPort = await getFreePort();
    hostile = await startHostileUpstream();
    const hostileParams = signingParameters(`localhost_${hostile.port}`);
    setup.canaries.values.push(...hostileParams.canaries.values);
    setup.canaries.needles.push(...hostileParams.canaries.needles);
    const current = JSON.parse(readFileSync(setup.params.path, "utf8")) as Record<string, string>;
    setup.params.write({
      ...current,
      ...signingParameters(`localhost_${refusedPort}`).params,
      ...hostileParams.params,
    });
  });
  afterAll(async () => {
    await setup?.stop();
    await hostile?.stop();
    rmSync(caDir, { recursive: true, force: true });
  });

  const send = (name: string, url: string, hostOverride?: string) =>
    capture(async () => {
      const host = hostOverride ?? new URL(url).host;
      const response = await rawExchange(
        setup.daemon.port,
        `GET ${url} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      const body = response.body.toString("utf8");
      if (header(response, "x-ssm-sign-proxy-error")) setup.errorBodies.push(body);
      (ran.local as Record<string, number>)[name] = response.status;
      return { status: response.status, body };
    });

  it("runs success, 407, 400 and upstream faults", async () => {
    const ok = await send("success", setup.url("/echo/canary?api_key=client-value"));
    expect(ok.status).toBe(200);
    // The upstream saw the secrets (which also shows the search finds them where they are) and quoted them
    // back; the client got the placeholder instead.
    const received = JSON.stringify(setup.upstream.requests.filter((r) => r.path.startsWith("/echo/canary")));
    expect(findLeaks(setup.canaries, { received }).length).toBeGreaterThan(0);
    expect(ok.body).toContain("[redacted by ssm-sign-proxy]");
    expect(findLeaks(setup.canaries, { echo: ok.body })).toEqual([]);
    expect((await send("no parameters", "http://no-params.example/echo")).status).toBe(407);
    expect((await send("bad request", `http://user:pw@localhost:${setup.upstream.port}/echo`)).status).toBe(
      400,
    );
    expect((await send("upstream refused", `http://localhost:${refusedPort}/echo`)).status).toBe(502);
    // Streamed: the headers went out before the reset, so the answer is cut rather than a 502.
    expect((await send("upstream reset mid-body", setup.url("/reset-mid-body"))).status).toBe(200);
    expect((await send("upstream stalls", setup.url("/stall"))).status).toBe(504);
  });

  it("runs TRACE and URL reflection", async () => {
    await reflectionScenarios(setup.daemon.port, `localhost:${hostile.port}`, (name, status, text) => {
      (ran.local as Record<string, number>)[name] = status;
      setup.errorBodies.push(text);
    });
  });

  const sendHttps = (name: string, url: string, extra: string[] = []) =>
    capture(async () => {
      const answer = await curlVia(tunnelEnv(setup.daemon.proxyUrl, join(caDir, "ca.pem")), url, extra);
      if (answer.status !== 200) setup.errorBodies.push(answer.body);
      (ran.local as Record<string, number>)[`https: ${name}`] = answer.status;
      return answer;
    });

  it("runs success, 407, 421 and upstream faults for https:// URLs through intercepted tunnels", async () => {
    const https = `https://localhost:${setup.upstream.port}`;
    const ok = await sendHttps("success", `${https}/echo/canary?api_key=client-value`);
    expect(ok.status).toBe(200);
    // The API echoes what it received; through an intercepted tunnel too, the client gets it scrubbed.
    expect(findLeaks(setup.canaries, { echo: ok.body })).toEqual([]);
    expect((await sendHttps("no parameters", "https://no-params.example/echo")).status).toBe(407);
    expect((await sendHttps("misdirected", `${https}/echo`, ["-H", "Host: no-params.example"])).status).toBe(
      421,
    );
    expect((await sendHttps("upstream refused", `https://localhost:${refusedPort}/echo`)).status).toBe(502);
    expect((await sendHttps("upstream stalls", `${https}/stall`)).status).toBe(504);
  });

  it("no canary in the daemon's output, error bodies, /metrics or exception text", async () => {
    const inExceptions = findLeaks(setup.canaries, { "exception text": exceptions.join("\n") });
    expect([...(await setup.leaks()), ...inExceptions]).toEqual([]);
  });
});

describe("canaries, Lambda mode", () => {
  let stack: LambdaStack;
  let refusedPort: number;
  let hostile: HostileUpstream;
  const reflected: string[] = [];

  beforeAll(async () => {
    stack = await startLambdaStack({
      label: "canary",
      handlerModule: "test/hardening/support/faulty-handler.mjs",
      functionEnv: { SSM_SIGN_PROXY_CACHE_TTL: "1", SSM_SIGN_PROXY_TIMEOUT: "2" },
      daemonArgs: ["--timeout", "5"],
    });
    refusedPort = await getFreePort();
    await stack.addHost(`localhost_${refusedPort}`);
    await stack.addHost("cold-denied.example");
    await stack.addHost("cold-throttled.example");
    hostile = await startHostileUpstream();
    await stack.addHost(`localhost_${hostile.port}`);
  });
  afterAll(async () => {
    await stack?.stop();
    await hostile?.stop();
  });

  const send = (name: string, url: string) =>
    capture(async () => {
      const answer = await stack.get(url);
      (ran.lambda as Record<string, number>)[name] = answer.status;
      return answer;
    });

  it("runs success, 407, 400 and upstream faults", async () => {
    const ok = await send("success", stack.url("/echo/canary"));
    expect(ok.status).toBe(200);
    const received = JSON.stringify(stack.upstream.requests.filter((r) => r.path.startsWith("/echo/canary")));
    const found = await stack.leaks({ echo: ok.body, received });
    expect(found.filter((l) => l.where === "received").length).toBeGreaterThan(0);
    expect(ok.body).toContain("[redacted by ssm-sign-proxy]");
    expect(found.filter((l) => l.where === "echo")).toEqual([]);
    expect((await send("no parameters", "http://no-params.example/echo")).status).toBe(407);
    expect((await send("bad request", `http://user:pw@localhost:${stack.upstream.port}/echo`)).status).toBe(
      400,
    );
    expect((await send("upstream refused", `http://localhost:${refusedPort}/echo`)).status).toBe(502);
    expect((await send("upstream stalls", stack.url("/stall"))).status).toBe(504);
  });

  it("runs Invoke faults: function error, response too large, throttled, Lambda down", async () => {
    expect((await send("function error", stack.url("/fault/throw"))).status).toBe(502);
    expect((await send("response too large", stack.url("/fault/huge-result"))).status).toBe(502);
    await stack.lambda.setFaults({ throttle: true });
    expect((await send("Lambda throttled", stack.url("/echo/throttled"))).status).toBe(503);
    await stack.lambda.setFaults({ down: true });
    expect((await send("Lambda down", stack.url("/echo/down"))).status).toBe(503);
    await stack.lambda.setFaults({});
  });

  it("runs SSM faults: denied and throttled with nothing cached, stale-if-error with a value cached", async () => {
    expect((await send("success before SSM faults", stack.url("/echo/prime"))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500)); // past SSM_SIGN_PROXY_CACHE_TTL=1
    await stack.ssmRelay.setFault({ kind: "deny" });
    expect((await send("SSM denied", "http://cold-denied.example/echo")).status).toBe(502);
    expect((await send("SSM denied, stale value served", stack.url("/echo/stale"))).status).toBe(200);
    await stack.ssmRelay.setFault({ kind: "throttle" });
    expect((await send("SSM throttled", "http://cold-throttled.example/echo")).status).toBe(503);
    await stack.ssmRelay.setFault({ kind: "refuse" });
    expect((await send("SSM down", "http://cold-throttled.example/echo")).status).toBe(502);
    await stack.ssmRelay.setFault({ kind: "pass" });
    expect(stack.lambda.process.allOutput()).toContain("serving stale parameters");
  });

  it("runs TRACE and URL reflection", async () => {
    await reflectionScenarios(stack.daemon.port, `localhost:${hostile.port}`, (name, status, text) => {
      (ran.lambda as Record<string, number>)[name] = status;
      reflected.push(text);
    });
  });

  it("no canary in the daemon's or the function's output, error bodies, /metrics or exception text", async () => {
    expect(
      await stack.leaks({
        "exception text": exceptions.join("\n"),
        "reflected answers": reflected.join("\n"),
      }),
    ).toEqual([]);
  });
});

describe("canaries, minted tokens (App key, client secret, JWTs, tokens), local and Lambda mode", () => {
  let minted: MintedCanaries;
  let local: SignedSetup;
  let stack: LambdaStack;
  const lambdaErrorBodies: string[] = [];

  beforeAll(async () => {
    minted = await startMintedCanaries();
    local = await startSignedSetup(["--timeout", "2"]);
    const current = JSON.parse(readFileSync(local.params.path, "utf8")) as Record<string, string>;
    local.params.write({ ...current, ...minted.params("") });
    stack = await startLambdaStack({
      label: "canary-minted",
      functionEnv: { SSM_SIGN_PROXY_TIMEOUT: "2" },
      daemonArgs: ["--timeout", "5"],
    });
    await seedParameters(sharedMoto().endpoint, minted.params(stack.prefix));
  });
  afterAll(async () => {
    await Promise.all([local?.stop(), stack?.stop()]);
    await minted?.stop();
  });

  it("runs minting, a 401 re-mint and every mint failure in both modes", async () => {
    const localGet = (url: string) =>
      capture(async () => {
        const response = await rawExchange(
          local.daemon.port,
          `GET ${url} HTTP/1.1\r\nHost: ${new URL(url).host}\r\nConnection: close\r\n\r\n`,
        );
        if (header(response, "x-ssm-sign-proxy-error"))
          local.errorBodies.push(response.body.toString("utf8"));
        return { status: response.status, body: "" };
      });
    ran["minted local"] = await runMintedScenarios(minted, localGet);
    expect(ran["minted local"]).toEqual(MINTED_EXPECTED);
    // The function has its own token cache: it mints again, and its 401 case revokes its own token.
    ran["minted lambda"] = await runMintedScenarios(minted, (url) =>
      capture(async () => {
        const answer = await stack.get(url);
        if (answer.headers.some(([n]) => n.toLowerCase() === "x-ssm-sign-proxy-error"))
          lambdaErrorBodies.push(answer.body);
        return answer;
      }),
    );
    expect(ran["minted lambda"]).toEqual(MINTED_EXPECTED);
    expect(minted.issuers.app.mints.length).toBe(4);
  });

  it("no key, secret, JWT or minted token in any output, error body, /metrics or exception text", async () => {
    const canaries = minted.canaries();
    expect(canaries.needles.length).toBeGreaterThan(10);
    // The search does find the tokens where they legitimately are: in what the API received.
    const apiSaw = JSON.stringify(minted.issuers.app.apiRequests);
    expect(findLeaks(canaries, { api: apiSaw }).length).toBeGreaterThan(0);
    const localTexts = {
      "daemon output": local.daemon.output(),
      "error bodies": local.errorBodies.join("\n"),
      metrics: await (await fetch(`${local.daemon.proxyUrl}/metrics`)).text(),
      "exception text": exceptions.join("\n"),
    };
    const lambdaMetrics = await (await fetch(`${stack.daemon.proxyUrl}/metrics`)).text();
    const lambdaTexts = {
      "lambda daemon output": stack.daemon.output(),
      "function output": stack.lambda.process.allOutput(),
      "lambda metrics": lambdaMetrics,
      "lambda error bodies": lambdaErrorBodies.join("\n"),
    };
    expect(localTexts["daemon output"]).toContain("token minted");
    expect(lambdaTexts["function output"]).toContain("token minted");
    expect(findLeaks(canaries, { ...localTexts, ...lambdaTexts })).toEqual([]);
    expect((await stack.leaks({ "exception text": exceptions.join("\n") })).length).toBe(0);
  });
});
