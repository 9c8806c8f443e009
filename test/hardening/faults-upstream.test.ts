/**
 * Upstream faults through the daemon (local mode: the function's own handler in-process): each fault gets its
 * documented status, the daemon stays up, and the next normal request is answered and signed as before.
 * Faults: connection refused, reset mid-body, stall past --timeout, an untrusted certificate, a redirect loop.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../support/free-port";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { receivedHeader } from "../support/received";
import { recordSection } from "./support/figures";
import { type SignedSetup, signingParameters, startSignedSetup } from "./support/local-daemon";
import { header, rawExchange } from "./support/raw-client";

let setup: SignedSetup;
let untrusted: HttpsUpstream;
let refusedPort: number;
const survived: string[] = [];

beforeAll(async () => {
  setup = await startSignedSetup(["--timeout", "3"]);
  untrusted = await startHttpsUpstream({ untrusted: true });
  refusedPort = await getFreePort();
  // Parameters for the other two hosts as well, so the faults happen at the upstream, not at "no parameters".
  const current = JSON.parse(readFileSync(setup.params.path, "utf8")) as Record<string, string>;
  setup.params.write({
    ...current,
    ...signingParameters(untrusted.hostKey).params,
    ...signingParameters(`localhost_${refusedPort}`).params,
  });
});

afterAll(async () => {
  recordSection("faultsUpstream", { survived, count: survived.length });
  await setup?.stop();
  await untrusted?.stop();
});

async function get(url: string) {
  const target = new URL(url);
  const response = await rawExchange(
    setup.daemon.port,
    `GET ${url} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`,
  );
  const body = response.body.toString("utf8");
  if (header(response, "x-ssm-sign-proxy-error")) setup.errorBodies.push(body);
  return { status: response.status, body, response };
}

/** After a fault: the daemon process is alive and a normal request is signed and answered. */
async function expectRecovered(fault: string): Promise<void> {
  expect(setup.daemon.child.exitCode).toBeNull();
  const after = await get(setup.url("/echo/after-fault"));
  expect(after.status).toBe(200);
  expect(receivedHeader(setup.upstream, "/echo/after-fault", "X-Api-Key")).toEqual([setup.apiKey]);
  survived.push(fault);
}

describe("upstream faults", () => {
  it("connection refused: 502 naming ECONNREFUSED", async () => {
    const { status, body } = await get(`http://localhost:${refusedPort}/echo`);
    expect(status).toBe(502);
    expect(body).toMatch(/connection failed \(ECONNREFUSED\)/);
    await expectRecovered("upstream refuses");
  });

  it("reset mid-body: the client's answer is cut (no final chunk), never a complete 200", async () => {
    // Streamed: the status and headers went out before the reset, so the client's connection is cut instead.
    const { status, response } = await get(setup.url("/reset-mid-body"));
    expect(status).toBe(200);
    expect(header(response, "transfer-encoding")).toBe("chunked");
    expect(response.closed).toBe(true);
    expect(response.body.toString("latin1").endsWith("0\r\n\r\n")).toBe(false);
    await setup.daemon.waitForLog((l) => String(l.msg).includes("ended abnormally"), 5000);
    await expectRecovered("upstream resets mid-body");
  });

  it("reset before any answer (an idempotent GET is retried once, then 502)", async () => {
    const before = setup.upstream.requests.filter((r) => r.path.startsWith("/reset?")).length;
    const { status } = await get(setup.url("/reset"));
    expect(status).toBe(502);
    expect(setup.upstream.requests.filter((r) => r.path.startsWith("/reset?")).length - before).toBe(2);
    await expectRecovered("upstream resets before answering");
  });

  it("stall past --timeout: 504", async () => {
    const { status, body } = await get(setup.url("/stall"));
    expect(status).toBe(504);
    expect(body).toMatch(/no complete answer|timeout/i);
    await expectRecovered("upstream stalls");
  });

  it("untrusted certificate: 502 naming the TLS failure, and nothing is sent to it", async () => {
    const { status, body } = await get(`http://localhost:${untrusted.port}/echo`);
    expect(status).toBe(502);
    expect(body).toMatch(/TLS handshake failed/);
    expect(untrusted.requests).toHaveLength(0);
    await expectRecovered("bad certificate");
  });

  it("redirect loop: the 302 is returned to the client, never followed", async () => {
    const before = setup.upstream.requests.length;
    const { status, response } = await get(setup.url("/redirect-loop"));
    expect(status).toBe(302);
    expect(header(response, "location")).toBe("/redirect-loop");
    expect(setup.upstream.requests.length - before).toBe(1);
    await expectRecovered("redirect loop");
  });

  it("no canary value leaked into logs, error bodies or metrics during the faults", async () => {
    expect(await setup.leaks()).toEqual([]);
  });
});
