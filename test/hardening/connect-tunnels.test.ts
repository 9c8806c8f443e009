/**
 * CONNECT tunnels under attack and misuse: who may tunnel, where to, what is decrypted, what is bounded, and
 * that nothing secret shows up anywhere for intercepted traffic.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startDaemonProcess } from "../e2e/daemon-process";
import { type ParamsFile, paramsFile } from "../e2e/params-file";
import { curlVia, tunnelEnv } from "../e2e/tunnel-clients";
import type { EchoResponse, HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { openTunnel, requestOver, tlsOverTunnel } from "./support/connect-client";

const run = promisify(execFile);
const secret = `connect-canary-${randomBytes(8).toString("hex")}`;
let upstream: HttpsUpstream;
let params: ParamsFile;
let work: string;
const daemons: DaemonProcess[] = [];

async function daemonWith(args: string[]): Promise<DaemonProcess> {
  const daemon = await startDaemonProcess({
    args: ["--local", params.path, ...args],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
  daemons.push(daemon);
  return daemon;
}

let intercepting: DaemonProcess;
let caPem: string;
const caDir = () => join(work, "ca");

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  params = paramsFile({ [`/${upstream.hostKey}/headers/X-Api-Key`]: secret });
  work = mkdtempSync(join(tmpdir(), "sign-proxy-connect-"));
  intercepting = await daemonWith(["--intercept", "--ca-dir", caDir()]);
  caPem = readFileSync(join(caDir(), "ca.pem"), "utf8");
});

afterAll(async () => {
  for (const d of daemons) await d.stop();
  await upstream?.stop();
  params?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("without --intercept", () => {
  it("refuses CONNECT to port 443 with the fix in the status line and the log", async () => {
    const daemon = await daemonWith([]);
    const tunnel = await openTunnel(daemon.port, "api.example.com:443");
    expect(tunnel.status).toBe(405);
    expect(tunnel.statusLine).toContain("start the daemon with --intercept, or use http:// URLs");
    expect(tunnel.head.toLowerCase()).toContain("x-ssm-sign-proxy-error: connect-refused");
    await daemon.waitForLog((l) => l.msg === "CONNECT to a TLS port refused" && l.host === "api.example.com");
  });

  it("closes a tunnel whose client starts TLS, with the fix in the log", async () => {
    const daemon = daemons[1] as DaemonProcess;
    const tunnel = await openTunnel(daemon.port, `localhost:${upstream.port}`);
    expect(tunnel.status).toBe(200);
    await expect(tlsOverTunnel(tunnel.socket, "localhost", caPem)).rejects.toThrow();
    await daemon.waitForLog(
      (l) => String(l.msg).includes("started TLS inside a tunnel") && l.fix !== undefined,
    );
  });
});

describe("interception", () => {
  it("closes the tunnel when SNI names another host than CONNECT, and says so in the log", async () => {
    const before = upstream.requests.length;
    const tunnel = await openTunnel(intercepting.port, `localhost:${upstream.port}`);
    expect(tunnel.status).toBe(200);
    await expect(tlsOverTunnel(tunnel.socket, "api.github.com", caPem)).rejects.toThrow();
    await intercepting.waitForLog(
      (l) => l.msg === "intercepted tunnel closed" && String(l.error).includes('SNI "api.github.com"'),
    );
    expect(upstream.requests.length).toBe(before);
  });

  it("accepts a handshake without SNI (an IP literal): the leaf names the address", async () => {
    const tunnel = await openTunnel(intercepting.port, `127.0.0.1:${upstream.port}`);
    const tls = await new Promise<TLSSocket>((resolve, reject) => {
      // host is an IP: Node sends no SNI and checks the certificate against the address.
      const socket = tlsConnect({ socket: tunnel.socket, host: "127.0.0.1", ca: caPem });
      socket.once("secureConnect", () => resolve(socket));
      socket.once("error", reject);
    });
    expect(tls.getPeerX509Certificate()?.subjectAltName).toBe("IP Address:127.0.0.1");
    const answer = await requestOver(tls, `GET /echo HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\n\r\n`);
    tls.destroy();
    // No parameters exist for 127.0.0.1_PORT: the usual refusal, fail closed.
    expect(answer).toMatch(/^HTTP\/1\.1 407 /);
  });

  it("answers an inner Host naming another host with 421", async () => {
    const tunnel = await openTunnel(intercepting.port, `localhost:${upstream.port}`);
    const tls = await tlsOverTunnel(tunnel.socket, "localhost", caPem);
    const answer = await requestOver(tls, "GET /echo HTTP/1.1\r\nHost: api.github.com\r\n\r\n");
    tls.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(answer.toLowerCase()).toContain("x-ssm-sign-proxy-error: misdirected-request");
  });

  it("fails closed for a host without parameters (the usual no-parameters refusal)", async () => {
    const other = await startHttpsUpstream();
    try {
      const answer = await curlVia(
        tunnelEnv(intercepting.proxyUrl, join(caDir(), "ca.pem")),
        `${other.origin}/echo`,
      );
      expect(answer.status).toBe(407);
      expect(answer.body).toMatch(/no parameters/);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.stop();
    }
  });

  it("never tunnels to a link-local or metadata address", async () => {
    for (const target of ["169.254.169.254:443", "169.254.169.254:80", "[fd00:ec2::254]:443"]) {
      const tunnel = await openTunnel(intercepting.port, target);
      expect(tunnel.status, target).toBe(403);
      expect(tunnel.head).toContain("metadata-address");
    }
  });

  it("bounds a flood of half-open tunnels, and frees the places when they close", async () => {
    const open = [];
    for (let i = 0; i < 256; i++) open.push(openTunnel(intercepting.port, `localhost:${upstream.port}`));
    const tunnels = await Promise.all(open);
    expect(tunnels.every((t) => t.status === 200)).toBe(true);
    const over = await openTunnel(intercepting.port, `localhost:${upstream.port}`);
    expect(over.status).toBe(503);
    expect(over.head).toContain("tunnel-limit");
    for (const t of tunnels) t.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await openTunnel(intercepting.port, `localhost:${upstream.port}`);
    expect(again.status).toBe(200);
    again.socket.destroy();
  });

  it("logs, answers and counts nothing secret for intercepted traffic (canary)", async () => {
    const env = tunnelEnv(intercepting.proxyUrl, join(caDir(), "ca.pem"));
    for (const path of ["/echo", "/status/500", "/redirect", "/gzip"]) {
      await curlVia(env, `${upstream.origin}${path}`);
    }
    const misdirected = await curlVia(env, `${upstream.origin}/echo`, ["-H", "Host: api.github.com"]);
    expect(misdirected.body).not.toContain(secret);
    const metrics = await curlVia({ PATH: process.env.PATH ?? "" }, `${intercepting.proxyUrl}/metrics`);
    const key = readFileSync(join(caDir(), "ca-key.pem"), "utf8").split("\n")[1] ?? "unreadable";
    for (const [where, text] of Object.entries({ log: intercepting.output(), metrics: metrics.body })) {
      expect(text, where).not.toContain(secret);
      expect(text, where).not.toContain(key);
    }
  });
});

describe("--tunnel and access control", () => {
  it("passes a --tunnel host through undecrypted: the client sees the API's own certificate, nothing is injected", async () => {
    const daemon = await daemonWith([
      "--intercept",
      "--ca-dir",
      caDir(),
      "--tunnel",
      "localhost,*.example.com",
    ]);
    // Trusting only the upstream's own CA: an intercepted tunnel would fail verification.
    const answer = await curlVia(
      tunnelEnv(daemon.proxyUrl, upstream.ca.caFile),
      `${upstream.origin}/echo/raw`,
    );
    expect(answer.status).toBe(200);
    const echo = JSON.parse(answer.body) as EchoResponse;
    expect(echo.headers.map(([n]) => n.toLowerCase())).not.toContain("x-api-key");
    expect(daemon.output()).not.toContain("/echo/raw");
  });

  it("obeys --allow and --proxy-token on CONNECT", async () => {
    const allowOnly = await daemonWith(["--intercept", "--ca-dir", caDir(), "--allow", "10.0.0.0/8"]);
    expect((await openTunnel(allowOnly.port, `localhost:${upstream.port}`)).status).toBe(403);
    const token = `proxy-token-${randomBytes(6).toString("hex")}`;
    const guarded = await daemonWith(["--intercept", "--ca-dir", caDir(), "--proxy-token", token]);
    const without = await openTunnel(guarded.port, `localhost:${upstream.port}`);
    expect(without.status).toBe(407);
    expect(without.head).toContain("Proxy-Authenticate");
    const answer = await curlVia(
      tunnelEnv(guarded.proxyUrl, join(caDir(), "ca.pem")),
      `${upstream.origin}/echo`,
      ["--proxy-header", `Proxy-Authorization: Bearer ${token}`],
    );
    expect(answer.status).toBe(200);
    // The token as the proxy URL's password (Basic), as https_proxy=http://ci:TOKEN@host:port sends it.
    const withUrl = tunnelEnv(`http://ci:${token}@127.0.0.1:${guarded.port}`, join(caDir(), "ca.pem"));
    expect((await curlVia(withUrl, `${upstream.origin}/echo`)).status).toBe(200);
    expect(guarded.output()).not.toContain(token);
  });
});

describe("stopping", () => {
  it("closes open pass-through and silent tunnels on SIGTERM instead of waiting for them", async () => {
    const daemon = await daemonWith(["--tunnel", "localhost", "--timeout", "2"]);
    const raw = await openTunnel(daemon.port, `localhost:${upstream.port}`);
    const silent = await openTunnel(daemon.port, "api.example.com:8080");
    expect([raw.status, silent.status]).toEqual([200, 200]);
    const started = Date.now();
    expect(await daemon.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe("the CA key on disk", () => {
  it("is 0600 in a 0700 directory", async () => {
    const { stdout } = await run("stat", ["-c", "%a", caDir(), join(caDir(), "ca-key.pem")]);
    expect(stdout.trim().split("\n")).toEqual(["700", "600"]);
  });

  it("refuses to start with a key others can read, and says how to fix it", async () => {
    const dir = join(work, "loose");
    await run(process.execPath, [
      join(import.meta.dirname, "../../proxy-daemon/dist/cli.mjs"),
      "ca",
      "init",
      "--ca-dir",
      dir,
    ]);
    chmodSync(join(dir, "ca-key.pem"), 0o644);
    const daemon = await startDaemonProcess({
      args: ["--local", params.path, "--intercept", "--ca-dir", dir],
      expectExit: true,
    });
    expect(await daemon.exited).toBe(1);
    expect(daemon.output()).toContain(`run: chmod 600 ${join(dir, "ca-key.pem")}`);
    expect(daemon.output()).not.toContain("BEGIN PRIVATE KEY");
  });
});
