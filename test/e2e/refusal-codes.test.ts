/**
 * Every refusal code, one by one: its status, its marker (`x-ssm-sign-proxy-error: <code>`), its one-line
 * message, and, for the daemon's answers, its count in `ssm_sign_proxy_refusals_total{code}` and its request log
 * line. Each code is provoked the way a user would meet it, through the built daemon (--local, --proxy-token,
 * --allow, a Lambda-mode daemon whose function is unreachable) or the built function bundle; the few that
 * cannot be provoked in a test's time (a 10 s header timeout, an internal error, Lambda's own failures, which
 * test/e2e/daemon-modes.test.ts provokes through a real Invoke endpoint) go through the function that builds them.
 *
 * The table is typed `Record<RefusalCode, …>`: a new code does not compile until it has a case here, and the
 * last test fails until docs/statuses.md lists it.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbResult, HeaderPairs } from "../../lambda/core/proxy-request";
import { ERROR_MARKER, REFUSAL_STATUS, type RefusalCode, refusalResponse } from "../../lambda/core/refusal";
import { createHandler } from "../../lambda/handler/handler";
import {
  type ParameterSource,
  ParameterSourceError,
  type ParameterSourceFailure,
} from "../../lambda/parameters/parameter-source";
import { decodeResult, encodeEvent, isCodecError } from "../../lambda/wire/event-codec";
import { SigningDispatcher } from "../../proxy-daemon/embed/signing-dispatcher";
import { refusalForFailure } from "../../proxy-daemon/http/invoke-refusals";
import { clientErrorRefusal } from "../../proxy-daemon/http/raw-refusal";
import type { InvokeFailure } from "../../proxy-daemon/invoke/invoker";
import { type HostileUpstream, startHostileUpstream } from "../hardening/support/hostile-upstream";
import { appKey } from "../support/app-keys";
import { type FakeTokenIssuer, startFakeTokenIssuer } from "../support/fake-token-issuer";
import { getFreePort } from "../support/free-port";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { sharedMoto } from "../support/shared-moto";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";
import { rawRequest } from "./raw-http";

const BUNDLE = resolve(import.meta.dirname, "../../dist/lambda/index.mjs");
const MAX_BODY = 1024;
const TOKEN = "refusal-codes-proxy-token";

/** What one provocation produced. `daemon` names the daemon whose counter and log must show the code. */
interface Observed {
  status: number;
  marker: string | null;
  message: string;
  daemon?: DaemonProcess;
  /** Set when the answer could not reach the client (it hung up): then only the log and counter tell. */
  unseen?: boolean;
  /** Set when the daemon refuses this client its /metrics page too (--allow): then the log line tells. */
  metricsRefused?: boolean;
}

interface Case {
  provoke: () => Promise<Observed>;
  message: RegExp;
}

let upstream: HttpsUpstream;
let untrusted: HttpsUpstream;
let params: ParamsFile;
let local: DaemonProcess;
let tokenDaemon: DaemonProcess;
let allowDaemon: DaemonProcess;
let notReadyDaemon: DaemonProcess;
let closedPort: number;
let hostile: HostileUpstream;
let issuer: FakeTokenIssuer;

/** GitHub App parameters for `host`, minting at the fake issuer with `installation` (faults are per installation). */
function mintingHost(host: string, installation: string, privateKey: string): Record<string, string> {
  return {
    [`/${host}/github-app/app-id`]: "1",
    [`/${host}/github-app/private-key`]: privateKey,
    [`/${host}/github-app/installation-id`]: installation,
    [`/${host}/github-app/api-url`]: issuer.origin,
  };
}

beforeAll(async () => {
  [upstream, untrusted, closedPort, hostile] = await Promise.all([
    startHttpsUpstream(),
    startHttpsUpstream({ untrusted: true }),
    getFreePort(),
    startHostileUpstream(),
  ]);
  const key = appKey();
  issuer = await startFakeTokenIssuer({
    appId: "1",
    publicKey: key.publicKey,
    installationIds: ["3", "4", "5"],
  });
  issuer.faults.set("3", { status: 200, body: {} });
  issuer.faults.set("4", { status: 503 });
  issuer.faults.set("5", { stall: true });
  params = paramsFile({
    ...mintingHost(
      "key-invalid.example",
      "1",
      "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n",
    ),
    ...mintingHost("mint-rejected.example", "2", key.privatePem),
    ...mintingHost("mint-invalid.example", "3", key.privatePem),
    ...mintingHost("mint-unavailable.example", "4", key.privatePem),
    ...mintingHost("mint-timeout.example", "5", key.privatePem),
    [`/${upstream.hostKey}/headers/X-Api-Key`]: "refusal-secret",
    [`/${untrusted.hostKey}/headers/X-Api-Key`]: "refusal-secret",
    [`/127.0.0.1_${closedPort}/headers/X-Api-Key`]: "refusal-secret",
    "/169.254.169.254/headers/X-Api-Key": "refusal-secret",
    [`/localhost_${hostile.port}/headers/X-Api-Key`]: "refusal-secret",
  });
  const env = { NODE_EXTRA_CA_CERTS: upstream.ca.caFile };
  const moto = sharedMoto();
  [local, tokenDaemon, allowDaemon, notReadyDaemon] = await Promise.all([
    startDaemonProcess({
      args: ["--local", params.path, "--max-body", String(MAX_BODY), "--timeout", "2"],
      env,
    }),
    startDaemonProcess({
      args: ["--local", params.path, "--proxy-token", TOKEN, "--max-in-flight", "1"],
      env,
    }),
    startDaemonProcess({ args: ["--local", params.path, "--allow", "10.0.0.0/8"], env }),
    startDaemonProcess({
      args: ["--function-name", "signer"],
      env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${closedPort}`, AWS_MAX_ATTEMPTS: "1" },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([local?.stop(), tokenDaemon?.stop(), allowDaemon?.stop(), notReadyDaemon?.stop()]);
  await Promise.all([upstream?.stop(), untrusted?.stop(), issuer?.stop(), hostile?.stop()]);
  params?.remove();
});

function headerOf(text: string, name: string): string | null {
  const head = text.slice(0, text.indexOf("\r\n\r\n"));
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line === undefined ? null : line.slice(name.length + 1).trim();
}

/** Raw bytes to a daemon: for requests no well-behaved client sends, and to see every header as written. */
async function raw(daemon: DaemonProcess, data: string): Promise<Observed> {
  const answer = await rawRequest(daemon.port, data, 3000);
  return { status: answer.status, marker: headerOf(answer.text, ERROR_MARKER), message: answer.body, daemon };
}

/** A proxy request for `url` (absolute form), closed after the answer. */
const get = (daemon: DaemonProcess, url: string, extra = "") =>
  raw(daemon, `GET ${url} HTTP/1.1\r\nHost: ${new URL(url).host}\r\n${extra}Connection: close\r\n\r\n`);

const pairValue = (headers: HeaderPairs, name: string) =>
  headers.find(([n]) => n.toLowerCase() === name)?.[1] ?? null;

function fromResponse(response: { statusCode: number; headers: HeaderPairs; body: Buffer }): Observed {
  return {
    status: response.statusCode,
    marker: pairValue(response.headers, ERROR_MARKER),
    message: response.body.toString("utf8"),
  };
}

function fromResult(result: AlbResult): Observed {
  const decoded = decodeResult(result);
  if (isCodecError(decoded)) throw new Error(decoded.message);
  return fromResponse(decoded);
}

/** The built function bundle, as Lambda loads it. */
async function bundleHandler(): Promise<(event: unknown) => Promise<AlbResult>> {
  const mod = (await import(BUNDLE)) as { handler: (event: unknown) => Promise<AlbResult> };
  return mod.handler;
}

/** The function's handler over a parameter source that fails the way Parameter Store can. */
async function sourceFailure(failure: ParameterSourceFailure | "other"): Promise<Observed> {
  const source: ParameterSource = {
    async getParametersByPath(path) {
      if (failure === "other") throw new Error("socket hang up");
      throw new ParameterSourceError(failure, path, `Parameter Store failed for ${path} (${failure})`);
    },
  };
  const handler = createHandler({ source, prefix: "/p", log: () => {} });
  const event = encodeEvent({
    method: "GET",
    path: "/",
    query: [],
    headers: [["host", "api.example.com"]],
    body: Buffer.alloc(0),
  });
  return fromResult(await handler(event));
}

const invokeFailure = async (failure: InvokeFailure) =>
  fromResponse(refusalResponse(refusalForFailure(failure)));

const cases: Record<RefusalCode, Case> = {
  "bad-event": {
    provoke: async () => fromResult(await (await bundleHandler())({ httpMethod: 42 })),
    message: /^bad request event: httpMethod must be an HTTP method/,
  },
  "host-invalid": { provoke: () => get(local, "http://a_1.example/"), message: /not a valid host name/ },
  "request-target-invalid": {
    provoke: () => raw(local, "OPTIONS * HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n"),
    message: /unsupported request target "\*" for OPTIONS/,
  },
  "scheme-unsupported": {
    provoke: () => get(local, "https://api.example.com/"),
    message: /https:\/\/ URLs cannot be signed by a forward proxy/,
  },
  "userinfo-refused": {
    provoke: () =>
      raw(
        local,
        "GET http://u:p@api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n",
      ),
    message: /userinfo .* refused/,
  },
  "host-header-duplicate": {
    provoke: () =>
      raw(local, "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n"),
    message: /more than one Host header/,
  },
  "request-malformed": {
    provoke: () => raw(local, "GARBAGE\r\n\r\n"),
    message: /^malformed HTTP request/,
  },
  "body-incomplete": {
    provoke: async () => {
      await rawRequest(
        local.port,
        `POST http://localhost:${upstream.port}/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort`,
        300,
      );
      const line = await local.waitForLog((l) => l.code === "body-incomplete");
      return {
        status: Number(line.status),
        marker: String(line.code),
        message: "",
        daemon: local,
        unseen: true,
      };
    },
    message: /^$/,
  },
  "body-type-unsupported": {
    provoke: async () => {
      const dispatcher = new SigningDispatcher({ local: params.path });
      try {
        return await new Promise<Observed>((resolvePromise, reject) => {
          let status = 0;
          let headers: HeaderPairs = [];
          const chunks: Buffer[] = [];
          dispatcher.dispatch(
            { origin: "https://api.example.com", path: "/", method: "POST", body: 42 as unknown as string },
            {
              onConnect() {},
              onHeaders(statusCode: number, rawHeaders: Buffer[]) {
                status = statusCode;
                headers = [];
                for (let i = 0; i + 1 < rawHeaders.length; i += 2)
                  headers.push([String(rawHeaders[i]), String(rawHeaders[i + 1])]);
                return true;
              },
              onData(chunk: Buffer) {
                chunks.push(chunk);
                return true;
              },
              onComplete() {
                resolvePromise({
                  status,
                  marker: pairValue(headers, ERROR_MARKER),
                  message: Buffer.concat(chunks).toString(),
                });
              },
              onError: reject,
            },
          );
        });
      } finally {
        await dispatcher.close();
      }
    },
    message: /unsupported request body type/,
  },
  "method-not-allowed": {
    provoke: () =>
      raw(
        local,
        `POST /healthz HTTP/1.1\r\nHost: 127.0.0.1:${local.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      ),
    message: /own pages answer GET only, not POST/,
  },
  "page-not-found": {
    provoke: () =>
      raw(local, `GET /nope HTTP/1.1\r\nHost: 127.0.0.1:${local.port}\r\nConnection: close\r\n\r\n`),
    message: /no daemon page "\/nope": try \/healthz or \/metrics/,
  },
  "trace-refused": {
    provoke: () =>
      raw(
        local,
        "TRACE http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n",
      ),
    message: /^TRACE is refused: the upstream would echo the signed request/,
  },
  "connect-refused": {
    provoke: () => raw(local, "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n"),
    message: /needs interception: start the daemon with --intercept, or use http:\/\/ URLs/,
  },
  "misdirected-request": {
    // A plain tunnel to the upstream, then a request inside it naming another host.
    provoke: async () => {
      const tunnel = `localhost:${upstream.port}`;
      const answer = await rawRequest(
        local.port,
        `CONNECT ${tunnel} HTTP/1.1\r\nHost: ${tunnel}\r\n\r\nGET /echo HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n`,
        3000,
      );
      const inner = answer.text.slice(answer.text.indexOf("\r\n\r\n") + 4);
      return {
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(inner)?.[1] ?? 0),
        marker: headerOf(inner, ERROR_MARKER),
        message: inner.slice(inner.indexOf("\r\n\r\n") + 4),
        daemon: local,
      };
    },
    message: /this tunnel is for localhost:\d+ but the request names "api\.github\.com"/,
  },
  "tunnel-limit": {
    // 256 tunnels that never say a word hold every opening place; the next CONNECT is refused.
    provoke: async () => {
      const tunnel = `localhost:${upstream.port}`;
      const sockets = await Promise.all(
        Array.from(
          { length: 256 },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const socket = connect(local.port, "127.0.0.1", () =>
                socket.write(`CONNECT ${tunnel} HTTP/1.1\r\nHost: ${tunnel}\r\n\r\n`),
              );
              socket.once("data", () => resolve(socket));
              socket.once("error", reject);
            }),
        ),
      );
      try {
        return await raw(local, `CONNECT ${tunnel} HTTP/1.1\r\nHost: ${tunnel}\r\n\r\n`);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    },
    message: /more than 256 tunnels are opening at once; retry shortly/,
  },
  "request-timeout": {
    provoke: async () =>
      fromResponse(
        refusalResponse(
          clientErrorRefusal({ name: "Error", message: "", code: "ERR_HTTP_REQUEST_TIMEOUT" }, 16384),
        ),
      ),
    message: /not received in time/,
  },
  "body-too-large": {
    provoke: () =>
      raw(
        local,
        `POST http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: ${MAX_BODY + 1}\r\nConnection: close\r\n\r\n`,
      ),
    message: /over the --max-body limit of 1024 bytes/,
  },
  "headers-too-large": {
    provoke: () =>
      raw(
        local,
        `GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      ),
    message: /request headers are larger than 16384 bytes/,
  },
  "client-not-allowed": {
    provoke: async () => ({ ...(await get(allowDaemon, "http://api.example.com/")), metricsRefused: true }),
    message: /client 127\.0\.0\.1 is not in the daemon's --allow list/,
  },
  "proxy-token-required": {
    provoke: () => get(tokenDaemon, "http://api.example.com/"),
    message:
      /requires a proxy token: send Proxy-Authorization: Bearer TOKEN, or Basic with the token as the password/,
  },
  "proxy-token-invalid": {
    provoke: () => get(tokenDaemon, "http://api.example.com/", "Proxy-Authorization: Bearer wrong\r\n"),
    message: /does not match the daemon's --proxy-token/,
  },
  "page-token-required": {
    provoke: () =>
      raw(
        tokenDaemon,
        `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${tokenDaemon.port}\r\nConnection: close\r\n\r\n`,
      ),
    message: /the daemon's pages need Authorization: Bearer/,
  },
  "no-parameters": {
    provoke: () => get(local, "http://no-params.example/"),
    message: /^no parameters for host no-params\.example: create one under \/no-params\.example\//,
  },
  "lookups-rate-limited": {
    provoke: async () => {
      // A budget of 100 lookups of unknown hosts, regained at one per 1000 s: the 101st distinct name is refused.
      const handler = createHandler({
        source: { getParametersByPath: async () => [] },
        unknownHostLookupsPerSecond: 0.001,
        log: () => {},
      });
      const event = (host: string) =>
        encodeEvent({
          method: "GET",
          path: "/",
          query: [],
          headers: [["host", host]],
          body: Buffer.alloc(0),
        });
      for (let i = 0; i < 100; i += 1) await handler(event(`unknown-${i}.example`));
      return fromResult(await handler(event("one-too-many.example")));
    },
    message:
      /^no parameters known for host one-too-many\.example, and Parameter Store lookups of unknown hosts/,
  },
  "host-not-deployed": {
    provoke: async () => {
      const source: ParameterSource = {
        async getParametersByPath() {
          throw new Error("Parameter Store must not be asked for a host outside the list");
        },
      };
      const handler = createHandler({ source, hosts: new Set(["api.github.com"]), log: () => {} });
      const event = encodeEvent({
        method: "GET",
        path: "/",
        query: [],
        headers: [["host", "api.example.com"]],
        body: Buffer.alloc(0),
      });
      return fromResult(await handler(event));
    },
    message: /^host api\.example\.com is not in the deployed host list/,
  },
  "reserved-host-name": {
    provoke: () => get(local, "http://ssm.example.com/"),
    message: /cannot begin with "aws" or "ssm"/,
  },
  "parameters-path-invalid": { provoke: () => sourceFailure("rejected"), message: /\(rejected\)/ },
  "parameters-denied": { provoke: () => sourceFailure("access-denied"), message: /\(access-denied\)/ },
  "parameters-unavailable": {
    provoke: () => sourceFailure("other"),
    message: /^reading parameters under \/p\/api\.example\.com failed/,
  },
  "parameters-throttled": {
    provoke: () => sourceFailure("throttled"),
    message: /\(throttled\); retry shortly/,
  },
  "metadata-address": {
    provoke: () => get(local, "http://169.254.169.254/latest/meta-data/"),
    message: /link-local or metadata address/,
  },
  "upstream-connect-failed": {
    provoke: () => get(local, `http://127.0.0.1:${closedPort}/`),
    message: /connection failed \(ECONNREFUSED\)/,
  },
  "upstream-tls-failed": {
    provoke: () => get(local, `http://localhost:${untrusted.port}/echo`),
    message: /TLS handshake failed/,
  },
  "upstream-reset": {
    provoke: () => get(local, `http://localhost:${upstream.port}/reset`),
    message: /connection reset/,
  },
  "upstream-too-large": {
    // Answers stream up to Lambda's 200 MB streaming limit; a declared length over it is refused at once.
    provoke: () =>
      get(local, `http://localhost:${upstream.port}/generate?size=${210 * 1024 * 1024}&length=1`),
    message: /response body exceeds \d+ bytes/,
  },
  "upstream-upgrade": {
    provoke: () => get(local, `http://localhost:${hostile.port}/upgrade`),
    message: /answered 101 Switching Protocols to a request that asked for no upgrade/,
  },
  "upstream-timeout": {
    provoke: () => get(local, `http://localhost:${upstream.port}/stall`),
    message: /no complete answer within 1\.5s/,
  },
  "token-key-invalid": {
    provoke: () => get(local, "http://key-invalid.example/"),
    message: /\/key-invalid\.example\/github-app\/private-key is not an RSA private key in PEM form/,
  },
  "token-mint-rejected": {
    provoke: () => get(local, "http://mint-rejected.example/"),
    message: /GitHub App token request for installation 2 answered 404: check github-app\/installation-id/,
  },
  "token-mint-invalid": {
    provoke: () => get(local, "http://mint-invalid.example/"),
    message: /installation 3 answered 200 without a usable token/,
  },
  "token-mint-unavailable": {
    provoke: () => get(local, "http://mint-unavailable.example/"),
    message: /installation 4 answered 503; the next request tries again/,
  },
  "token-mint-timeout": {
    provoke: () => get(local, "http://mint-timeout.example/"),
    message: /installation 5 got no answer within 1\.5s/,
  },
  "signer-not-ready": {
    provoke: async () => {
      await notReadyDaemon.waitForLog((l) => String(l.msg).includes("retrying in the background"));
      return get(notReadyDaemon, "http://api.example.com/");
    },
    message: /^signer not ready: /,
  },
  "signer-unavailable": {
    provoke: () => invokeFailure({ kind: "unavailable", message: "function signer not found" }),
    message: /^signer unavailable: function signer not found/,
  },
  "daemon-busy": {
    provoke: async () => {
      // --max-in-flight 1: a second request while one is in flight.
      const auth = `Proxy-Authorization: Bearer ${TOKEN}\r\n`;
      const first = get(tokenDaemon, `http://localhost:${upstream.port}/slow?ms=1000`, auth);
      await new Promise((r) => setTimeout(r, 300));
      const second = await get(tokenDaemon, `http://localhost:${upstream.port}/echo`, auth);
      await first;
      return second;
    },
    message: /--max-in-flight limit of requests; retry shortly/,
  },
  "invoke-throttled": {
    provoke: () => invokeFailure({ kind: "throttled", message: "Rate exceeded", retryAfterSeconds: 2 }),
    message: /^throttled: Rate exceeded/,
  },
  "invoke-timeout": {
    provoke: () => invokeFailure({ kind: "timeout", message: "no answer within 5 s" }),
    message: /^timeout: no answer within 5 s/,
  },
  "invoke-request-too-large": {
    provoke: () => invokeFailure({ kind: "request-too-large", message: "over 6291456 bytes" }),
    message: /^request too large for Lambda/,
  },
  "invoke-response-too-large": {
    provoke: () => invokeFailure({ kind: "response-too-large", message: "over 6291456 bytes" }),
    message: /^response too large/,
  },
  "function-error": {
    provoke: () =>
      invokeFailure({ kind: "function-error", errorType: "TypeError", errorMessage: "x is undefined" }),
    message: /^the signer failed with a function error \(TypeError\); its message is in the daemon's log/,
  },
  "signer-result-invalid": {
    provoke: () =>
      invokeFailure({ kind: "malformed-result", message: "function result has no valid statusCode" }),
    message: /^the signer returned a malformed result: function result has no valid statusCode/,
  },
  "internal-error": {
    provoke: async () =>
      fromResponse(
        refusalResponse({ status: 500, code: "internal-error", message: "internal error in the daemon" }),
      ),
    message: /internal error/,
  },
  "health-ok": {
    provoke: async () =>
      fromResult(
        await (await bundleHandler())(
          encodeEvent({
            method: "GET",
            path: "/",
            query: [],
            headers: [
              ["host", "api.example.com"],
              ["user-agent", "ELB-HealthChecker/2.0"],
            ],
            body: Buffer.alloc(0),
          }),
        ),
      ),
    message: /^ok$/,
  },
};

async function counted(daemon: DaemonProcess, code: RefusalCode): Promise<number> {
  // --proxy-token guards the own pages too (Authorization works there).
  const text = await (
    await fetch(`http://127.0.0.1:${daemon.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).text();
  const m = new RegExp(`^ssm_sign_proxy_refusals_total\\{code="${code}"\\} (\\d+)$`, "m").exec(text);
  return Number(m?.[1] ?? 0);
}

describe("every refusal code", () => {
  it.each(Object.keys(REFUSAL_STATUS) as RefusalCode[])("%s", async (code) => {
    const { provoke, message } = cases[code];
    const observed = await provoke();
    expect(observed.status).toBe(REFUSAL_STATUS[code]);
    expect(observed.marker).toBe(code);
    if (!observed.unseen) {
      expect(observed.message.endsWith("\n")).toBe(true);
      expect(observed.message.trimEnd()).not.toContain("\n");
    }
    expect(observed.message.trimEnd()).toMatch(message);
    expect(observed.message).not.toContain("refusal-secret");
    if (observed.daemon) {
      const { daemon } = observed;
      if (!observed.metricsRefused) expect(await counted(daemon, code)).toBeGreaterThanOrEqual(1);
      const line = await daemon.waitForLog((l) => l.msg === "request" && l.code === code);
      expect(line.status).toBe(REFUSAL_STATUS[code]);
    }
  });

  it("docs/statuses.md lists every code with its status", () => {
    const doc = readFileSync(resolve(import.meta.dirname, "../../docs/statuses.md"), "utf8");
    for (const [code, status] of Object.entries(REFUSAL_STATUS)) {
      expect(doc).toMatch(new RegExp(`^\\| \`${code}\` \\| ${status} \\|`, "m"));
    }
  });
});

describe("relayed answers", () => {
  it("an API's own marker and Proxy-Authenticate never reach the client; the answer is not counted as a refusal", async () => {
    const answer = await get(local, `http://localhost:${upstream.port}/impostor`);
    expect(answer.status).toBe(407);
    expect(answer.marker).toBeNull();
    expect(answer.message).toBe("the API's own 407");
    expect(await counted(local, "no-parameters")).toBe(1);
  });
});
