/**
 * Local (embedded) mode end to end: curl, wget, Python urllib and Node fetch reach a local HTTPS API through
 * `http_proxy`, and the API receives the token from the parameter file, and nothing it should not.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EchoResponse, HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { receivedHeader, SCRUB_PLACEHOLDER } from "../support/received";
import { curl, nodeFetch, pythonUrllib, wget } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const secret = `e2e-secret-${randomBytes(6).toString("hex")}`;
let upstream: HttpsUpstream;
let daemon: DaemonProcess;
let params: ParamsFile;

function header(echo: EchoResponse, name: string): string[] {
  return echo.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  params = paramsFile({ [`/${upstream.hostKey}/headers/X-Api-Key`]: secret });
  daemon = await startDaemonProcess({
    args: ["--local", params.path, "--log-level", "debug"],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
});

afterAll(async () => {
  await daemon?.stop();
  await upstream?.stop();
  params?.remove();
});

describe("local mode: real clients through http_proxy", () => {
  const clients = { curl, wget, "python urllib": pythonUrllib, "node fetch": nodeFetch } as const;
  for (const [name, client] of Object.entries(clients)) {
    it(`${name} gets an authenticated answer from the HTTPS API`, async () => {
      const answer = await client(
        daemon.proxyUrl,
        `http://localhost:${upstream.port}/echo/${name.replace(/ /g, "-")}?q=1`,
      );
      expect(answer.status).toBe(200);
      const echo = JSON.parse(answer.body) as EchoResponse;
      expect(receivedHeader(upstream, `/echo/${name.replace(/ /g, "-")}`, "X-Api-Key")).toEqual([secret]);
      expect(header(echo, "X-Api-Key")).toEqual([SCRUB_PLACEHOLDER]);
      expect(echo.path).toBe(`/echo/${name.replace(/ /g, "-")}?q=1`);
    });
  }
});

describe("local mode: what reaches the third party", () => {
  it("never forwards the client's address, proxy credentials or hop-by-hop headers", async () => {
    const answer = await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`, [
      "-H",
      "X-Forwarded-For: 10.1.2.3",
      "-H",
      "Forwarded: for=10.1.2.3",
      "-H",
      "Via: 1.1 corp-proxy",
      "-H",
      "Proxy-Authorization: Basic dXNlcjpwYXNz",
      "-H",
      "Connection: X-Internal-Hop",
      "-H",
      "X-Internal-Hop: drop-me",
      "-H",
      "X-Kept: yes",
    ]);
    const echo = JSON.parse(answer.body) as EchoResponse;
    const names = echo.headers.map(([n]) => n.toLowerCase());
    for (const gone of ["x-forwarded-for", "forwarded", "via", "proxy-authorization", "x-internal-hop"]) {
      expect(names).not.toContain(gone);
    }
    expect(header(echo, "X-Kept")).toEqual(["yes"]);
  });

  it("sends the secret to the URI's host even when the client's Host header names another (RFC 9112 §3.2.2)", async () => {
    const answer = await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`, [
      "-H",
      "Host: attacker.example",
    ]);
    expect(answer.status).toBe(200);
    const echo = JSON.parse(answer.body) as EchoResponse;
    expect(header(echo, "Host")).toEqual([`localhost:${upstream.port}`]);
    expect(receivedHeader(upstream, "/echo", "X-Api-Key")).toEqual([secret]);
  });

  it("forwards origin-form requests with a foreign Host, like the original daemon", async () => {
    const answer = await curl("", `http://127.0.0.1:${daemon.port}/echo/origin-form`, [
      "-H",
      `Host: localhost:${upstream.port}`,
    ]);
    expect(answer.status).toBe(200);
    expect(receivedHeader(upstream, "/echo/origin-form", "X-Api-Key")).toEqual([secret]);
  });

  it("sends request bodies intact", async () => {
    const answer = await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`, [
      "--data-binary",
      "hello=world&x=1",
    ]);
    const echo = JSON.parse(answer.body) as EchoResponse;
    expect(echo.method).toBe("POST");
    expect(Buffer.from(echo.bodyBase64, "base64").toString()).toBe("hello=world&x=1");
  });

  it("answers 407 naming the parameter path for a host without parameters", async () => {
    const answer = await curl(daemon.proxyUrl, "http://unknown-api.example/v1");
    expect(answer.status).toBe(407);
    expect(answer.body).toContain("/unknown-api.example/");
  });

  it("tells the function who called, for its audit log, and logs one line per request without secrets", async () => {
    await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo/audit`);
    const audit = await daemon.waitForLog((l) => l.msg === "signer: request" && l.path === "/echo/audit");
    expect(audit.caller).toMatchObject({ address: "127.0.0.1", mode: "local" });
    const line = await daemon.waitForLog(
      (l) => l.msg === "request" && l.host === `localhost:${upstream.port}` && l.status === 200,
    );
    expect(line).toMatchObject({ method: "GET", mode: "local" });
    expect(typeof line.ms).toBe("number");
    expect(daemon.output()).not.toContain(secret);
  });
});

describe("local mode: the parameter file is re-read when it changes", () => {
  it("uses a new value on the next request, and keeps the last good contents after a broken edit", async () => {
    const rotated = `${secret}-rotated`;
    params.write({ [`/${upstream.hostKey}/headers/X-Api-Key`]: rotated });
    await expect
      .poll(async () => {
        await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`);
        return receivedHeader(upstream, "/echo", "X-Api-Key");
      })
      .toEqual([rotated]);

    params.write(`{"/${upstream.hostKey}/headers/X-Api-Key": "half-written`);
    const warning = await daemon.waitForLog((l) => l.level === 40 && String(l.msg).includes("broken"));
    expect(warning.file).toBe(params.path);
    expect(String(warning.error)).toMatch(/JSON/);
    await curl(daemon.proxyUrl, `http://localhost:${upstream.port}/echo`);
    expect(receivedHeader(upstream, "/echo", "X-Api-Key")).toEqual([rotated]);
    expect(daemon.output()).not.toContain("half-written");
  });
});
