/**
 * The daemon's own behaviour, whatever the signer: own pages, refusals (CONNECT to 443 without --intercept, 413, smuggling, garbage,
 * oversized headers, userinfo, https:// URLs), access control, and the graceful stop on SIGTERM.
 */
import { randomBytes } from "node:crypto";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { curl } from "./clients";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";
import { rawRequest } from "./raw-http";

const secret = `behaviour-secret-${randomBytes(6).toString("hex")}`;
const MAX_BODY = 4096;
let upstream: HttpsUpstream;
let params: ParamsFile;
let daemon: DaemonProcess;

const start = (extra: string[] = []) =>
  startDaemonProcess({
    args: ["--local", params.path, ...extra],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  params = paramsFile({ [`/${upstream.hostKey}/headers/Authorization`]: `Bearer ${secret}` });
  daemon = await start(["--max-body", String(MAX_BODY), "--timeout", "5"]);
});

afterAll(async () => {
  await daemon?.stop();
  await upstream?.stop();
  params?.remove();
});

const upstreamPath = (path: string) => `http://localhost:${upstream.port}${path}`;

describe("own pages", () => {
  it("/healthz answers 200 JSON with mode, file and uptime", async () => {
    const res = await fetch(`http://127.0.0.1:${daemon.port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "ok", mode: "local", file: params.path });
    expect(typeof body.uptimeSeconds).toBe("number");
  });

  it("/metrics counts requests by status, latency, in-flight requests and invoke errors", async () => {
    await curl(daemon.proxyUrl, upstreamPath("/echo/metrics"));
    const text = await (await fetch(`http://localhost:${daemon.port}/metrics`)).text();
    expect(text).toMatch(/ssm_sign_proxy_requests_total\{status="200"\} [1-9]/);
    expect(text).toContain("ssm_sign_proxy_request_duration_seconds_bucket");
    expect(text).toContain("ssm_sign_proxy_requests_in_flight");
    expect(text).toContain("# TYPE ssm_sign_proxy_invoke_errors_total counter");
  });

  it("other paths on the daemon itself get 404 naming the pages that exist", async () => {
    const res = await fetch(`http://127.0.0.1:${daemon.port}/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("/healthz");
  });
});

describe("refusals, each with a status and a one-line reason", () => {
  it("CONNECT to port 443 without --intercept gets 405 explaining --intercept or http:// URLs", async () => {
    const before = upstream.requests.length;
    const answer = await rawRequest(
      daemon.port,
      "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n",
    );
    expect(answer.status).toBe(405);
    expect(answer.text).toMatch(/^HTTP\/1\.1 405 [^\r]*--intercept, or use http:\/\/ URLs\r\n/);
    expect(answer.text).toMatch(/\r\nx-ssm-sign-proxy-error: connect-refused\r\n/i);
    expect(answer.body).toMatch(/http:\/\//);
    expect(upstream.requests.length).toBe(before);
  });

  it("a body over --max-body gets 413 before anything is sent (Content-Length)", async () => {
    const before = upstream.requests.length;
    const answer = await curl(daemon.proxyUrl, upstreamPath("/echo/big"), [
      "--data-binary",
      "x".repeat(MAX_BODY + 1),
    ]);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatch(/^request body of \d+ bytes is over the --max-body limit of 4096 bytes\n$/);
    expect(upstream.requests.length).toBe(before);
  });

  it("with Expect: 100-continue the oversized body is refused before the client sends it", async () => {
    const answer = await rawRequest(
      daemon.port,
      `PUT ${upstreamPath("/echo/expect")} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${MAX_BODY + 1}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(answer.text).not.toContain("100 Continue");
    expect(answer.status).toBe(413);
  });

  it("a chunked body that grows over --max-body gets 413 too", async () => {
    const before = upstream.requests.length;
    const chunk = "y".repeat(3000);
    const bytes = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(2);
    const answer = await rawRequest(
      daemon.port,
      `POST ${upstreamPath("/echo/chunked")} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${bytes}0\r\n\r\n`,
    );
    expect(answer.status).toBe(413);
    expect(upstream.requests.length).toBe(before);
  });

  it("a body within --max-body goes through", async () => {
    const answer = await curl(daemon.proxyUrl, upstreamPath("/echo/small"), [
      "--data-binary",
      "z".repeat(MAX_BODY),
    ]);
    expect(answer.status).toBe(200);
  });

  it("Content-Length together with Transfer-Encoding (request smuggling) gets 400", async () => {
    const answer = await rawRequest(
      daemon.port,
      `POST ${upstreamPath("/echo")} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/Transfer-Encoding|malformed/);
    expect(upstream.requests.some((r) => r.path.includes("smuggled"))).toBe(false);
  });

  it("garbage bytes on the socket get 400, and the daemon keeps serving", async () => {
    const answer = await rawRequest(
      daemon.port,
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/malformed HTTP request/);
    expect((await curl(daemon.proxyUrl, upstreamPath("/echo/after-garbage"))).status).toBe(200);
  });

  it("oversized headers get 431", async () => {
    const answer = await rawRequest(
      daemon.port,
      `GET ${upstreamPath("/echo")} HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
  });

  it("an absolute URI with userinfo is refused with 400 and never forwarded", async () => {
    const before = upstream.requests.length;
    const answer = await rawRequest(
      daemon.port,
      `GET http://user:pw@localhost:${upstream.port}/echo HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("userinfo");
    expect(upstream.requests.length).toBe(before);
  });

  it("an https:// absolute URI gets 400 explaining to send http://", async () => {
    const answer = await rawRequest(
      daemon.port,
      `GET https://localhost:${upstream.port}/echo HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("http://");
  });
});

describe("access control", () => {
  it("--allow refuses clients outside the listed networks with 403", async () => {
    const guarded = await start(["--allow", "10.0.0.0/8,192.168.0.0/16"]);
    try {
      const answer = await curl(guarded.proxyUrl, upstreamPath("/echo"));
      expect(answer.status).toBe(403);
      expect(answer.body).toContain("--allow");
    } finally {
      await guarded.stop();
    }
  });

  it("--proxy-token needs Proxy-Authorization: Bearer, which is not forwarded", async () => {
    const token = randomBytes(8).toString("hex");
    const guarded = await start(["--proxy-token", token]);
    try {
      expect((await curl(guarded.proxyUrl, upstreamPath("/echo"))).status).toBe(407);
      expect(
        (
          await curl(guarded.proxyUrl, upstreamPath("/echo"), [
            "--proxy-header",
            "Proxy-Authorization: Bearer wrong",
          ])
        ).status,
      ).toBe(407);
      const ok = await curl(guarded.proxyUrl, upstreamPath("/echo/token"), [
        "--proxy-header",
        `Proxy-Authorization: Bearer ${token}`,
      ]);
      expect(ok.status).toBe(200);
      expect(ok.body).not.toContain(token);
      expect(guarded.output()).not.toContain(token);
    } finally {
      await guarded.stop();
    }
  });

  it("--proxy-token also takes the token as the password of http_proxy=http://user:TOKEN@host:port", async () => {
    const token = randomBytes(8).toString("hex");
    const guarded = await start(["--proxy-token", token]);
    const withToken = (password: string) => guarded.proxyUrl.replace("http://", `http://ci:${password}@`);
    try {
      // curl sends Basic from the URL's userinfo, as wget and Python do.
      const ok = await curl(withToken(token), upstreamPath("/echo/basic"));
      expect(ok.status).toBe(200);
      expect(ok.body).not.toContain(token);
      expect(ok.body.toLowerCase()).not.toContain("proxy-authorization");
      const wrong = await curl(withToken("wrong"), upstreamPath("/echo/basic"), ["-D", "-"]);
      expect(wrong.status).toBe(407);
      expect(wrong.body).toMatch(/^proxy-authenticate: Basic realm="ssm-sign-proxy"\r?$/im);
      expect(wrong.body).toContain("does not match");
      expect(wrong.body).toContain("Bearer TOKEN, or Basic");
      expect(guarded.output()).not.toContain(token);
    } finally {
      await guarded.stop();
    }
  });

  it("warns at start when listening beyond loopback without --allow or --proxy-token", async () => {
    const open = await startDaemonProcess({ args: ["--local", params.path, "--address", "0.0.0.0:0"] });
    try {
      const warning = await open.waitForLog(
        (l) => l.level === 40 && String(l.msg).includes("beyond loopback"),
      );
      expect(warning.address).toMatch(/^0\.0\.0\.0:\d+$/);
      // 0.0.0.0 is where to listen, not an address to connect to: the hint names usable ones.
      const listening = await open.waitForLog((l) => String(l.msg).startsWith("listening on"));
      expect(listening.msg).toContain(`set http_proxy=http://127.0.0.1:${open.port} on this host`);
      expect(listening.msg).not.toContain("http_proxy=http://0.0.0.0");
      // Addressed by an interface address, the daemon's own pages are still its own (not sent to the signer).
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
      const health = await fetch(`http://${external ?? "127.0.0.1"}:${open.port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ mode: "local" });
    } finally {
      await open.stop();
    }
  });
});

describe("graceful stop", () => {
  it("on SIGTERM finishes the in-flight request, refuses new connections and exits 0", async () => {
    const draining = await start();
    const inFlight = curl(draining.proxyUrl, upstreamPath("/slow?ms=1500"));
    await expect
      .poll(() => upstream.requests.some((r) => r.path === "/slow?ms=1500"), { timeout: 5000 })
      .toBe(true);
    draining.child.kill("SIGTERM");
    await draining.waitForLog((l) => String(l.msg).startsWith("stopping"));
    await expect(fetch(`http://127.0.0.1:${draining.port}/healthz`)).rejects.toThrow();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("slept 1500 ms");
    expect(await draining.exited).toBe(0);
  });
});
