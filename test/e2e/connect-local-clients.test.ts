/**
 * https_proxy in local mode: real clients with unmodified URLs. https:// goes through an intercepted tunnel
 * (the daemon presents a leaf from its local CA), http:// through a plain tunnel; either way the API gets
 * the token from the parameter file and the client never sees it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PLACEHOLDER } from "../../lambda/scrub/scrub-text";
import type { EchoResponse, HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { receivedHeader } from "../support/received";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";
import {
  curlVia,
  hasPythonRequests,
  pythonRequestsVia,
  pythonVia,
  tunnelEnv,
  undiciEnvAgent,
  undiciProxyAgent,
  wgetVia,
} from "./tunnel-clients";

const secret = `tunnel-secret-${randomBytes(6).toString("hex")}`;
let upstream: HttpsUpstream;
let daemon: DaemonProcess;
let params: ParamsFile;
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
  params = paramsFile({ [`/${upstream.hostKey}/headers/X-Api-Key`]: secret });
  caDir = mkdtempSync(join(tmpdir(), "sign-proxy-ca-"));
  daemon = await startDaemonProcess({
    args: ["--local", params.path, "--intercept", "--ca-dir", join(caDir, "ca")],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
  caPem = readFileSync(join(caDir, "ca", "ca.pem"), "utf8");
  env = tunnelEnv(daemon.proxyUrl, join(caDir, "ca", "ca.pem"));
});

afterAll(async () => {
  await daemon?.stop();
  await upstream?.stop();
  params?.remove();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

describe("https:// URLs through an intercepted tunnel", () => {
  const https = () => `https://localhost:${upstream.port}`;
  it("curl with https_proxy and the CA bundle", async () => {
    const answer = await curlVia(env, `${https()}/echo/curl?q=1`);
    expect(answer.status).toBe(200);
    expectSigned(answer.body);
    expect((JSON.parse(answer.body) as EchoResponse).path).toBe("/echo/curl?q=1");
  });

  it("wget with https_proxy and the CA", async () => {
    const answer = await wgetVia(env, `${https()}/echo/wget`);
    expect(answer.status).toBe(200);
    expectSigned(answer.body);
  });

  it("Python urllib with https_proxy and SSL_CERT_FILE", async () => {
    const answer = await pythonVia(env, `${https()}/echo/python`);
    expect(answer.status).toBe(200);
    expectSigned(answer.body);
  });

  it.skipIf(!hasPythonRequests())("Python requests with https_proxy and REQUESTS_CA_BUNDLE", async () => {
    const answer = await pythonRequestsVia(env, `${https()}/echo/requests`);
    expect(answer.status).toBe(200);
    expectSigned(answer.body);
  });

  it("Node undici EnvHttpProxyAgent and ProxyAgent", async () => {
    for (const client of [undiciEnvAgent, undiciProxyAgent]) {
      const answer = await client(daemon.proxyUrl, caPem, `${https()}/echo/node`);
      expect(answer.status).toBe(200);
      expectSigned(answer.body);
    }
  });

  it("keeps one tunnel for several requests (curl, keep-alive) and mints the leaf once", async () => {
    const connects = () => daemon.logs.filter((l) => l.method === "CONNECT" && l.status === 200).length;
    const before = { requests: upstream.requests.length, connects: connects() };
    for (let i = 0; i < 2; i++) {
      const answer = await curlVia(env, `${https()}/echo/one`, ["--next", `${https()}/echo/two`]);
      expect(answer.status).toBe(200);
    }
    expect(upstream.requests.length - before.requests).toBe(4);
    expect(connects() - before.connects).toBe(2);
    const minted = daemon.logs.filter((l) => l.msg === "minted a leaf certificate" && l.host === "localhost");
    expect(minted).toHaveLength(1);
  });

  it("a client that does not trust the CA fails the handshake: nothing reaches the API", async () => {
    const before = upstream.requests.length;
    await expect(
      curlVia(
        { ...env, SSL_CERT_FILE: upstream.ca.caFile, CURL_CA_BUNDLE: upstream.ca.caFile },
        `${https()}/echo`,
      ),
    ).rejects.toThrow(/certificate|SSL/i);
    expect(upstream.requests.length).toBe(before);
  });
});

describe("http:// URLs through a plain tunnel", () => {
  const http = () => `http://localhost:${upstream.port}`;
  it("Node undici EnvHttpProxyAgent and ProxyAgent (CONNECT for http:// too)", async () => {
    for (const client of [undiciEnvAgent, undiciProxyAgent]) {
      const answer = await client(daemon.proxyUrl, caPem, `${http()}/echo/plain`);
      expect(answer.status).toBe(200);
      expectSigned(answer.body);
    }
  });

  it("curl -p: several requests in one tunnel, each signed", async () => {
    const answer = await curlVia(env, `${http()}/echo/a`, ["-p", "--next", "-p", `${http()}/echo/b`]);
    expect(answer.status).toBe(200);
    expectSigned(answer.body.slice(answer.body.lastIndexOf('{"method"')));
  });

  it("an inner Host naming another host gets 421, never that host's secrets", async () => {
    const answer = await curlVia(env, `${http()}/echo`, ["-p", "-H", "Host: api.github.com"]);
    expect(answer.status).toBe(421);
    expect(answer.body).toMatch(/this tunnel is for localhost:\d+ but the request names "api.github.com"/);
  });
});
