/**
 * Bounded memory under hostile clients, against --local daemons (the function's code in-process, so the
 * daemon holds every body) and the hostile upstream:
 * - one connection pipelining 80 requests for 4 MB answers and never reading: requests on a connection run
 *   one at a time, so the daemon holds one answer, stays under 250 MB RSS, serves a real client on another
 *   connection meanwhile, and disconnects the reader that stopped after --write-timeout;
 * - 30 concurrent 4.5 MB uploads: a body-bytes budget (4 x --max-body) admits a few at a time and answers the
 *   rest 503 `daemon-busy` with Retry-After; under 250 MB RSS; a real client is still served;
 * - `--max-in-flight` caps requests across connections with the same 503;
 * - a client that hangs up cancels the upstream fetch at once.
 * The RSS figures go to the reliability report.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startDaemonProcess } from "../e2e/daemon-process";
import { type ParamsFile, paramsFile } from "../e2e/params-file";
import { seedParameters } from "../support/moto";
import { sharedMoto } from "../support/shared-moto";
import { canaryValue } from "./support/canary";
import { recordSection } from "./support/figures";
import { type HostileUpstream, startHostileUpstream } from "./support/hostile-upstream";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";
import { header, payloadOf, rawExchange } from "./support/raw-client";

const RSS_LIMIT_MIB = 250;
const PIPELINED = 80;
const ANSWER_BYTES = 4 * 1024 * 1024;
const UPLOADS = 30;
const UPLOAD_BYTES = 4_500_000;

let upstream: HostileUpstream;
let params: ParamsFile;
const daemons: DaemonProcess[] = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  upstream = await startHostileUpstream();
  params = paramsFile({ [`/localhost_${upstream.port}/headers/X-Api-Key`]: canaryValue("header") });
});
afterAll(async () => {
  recordSection("memoryBounds", { rssLimitMiB: RSS_LIMIT_MIB, ...figures });
  for (const daemon of daemons) await daemon.stop();
  await upstream?.stop();
  params?.remove();
});

async function daemon(extra: string[]): Promise<DaemonProcess> {
  const started = await startDaemonProcess({
    args: ["--local", params.path, "--timeout", "10", ...extra],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
  daemons.push(started);
  return started;
}

function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: Math.round(kb("VmRSS") / 1024), peakMiB: Math.round(kb("VmHWM") / 1024) };
}

const host = () => `localhost:${upstream.port}`;
const get = (port: number, target: string) =>
  rawExchange(port, `GET http://${host()}${target} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One connection writes PIPELINED requests for 4 MB answers at once and never reads; meanwhile a real client
 * on another connection must be served. Returns the figures; asserts the bounds.
 */
async function pipeliningProbe(proxy: DaemonProcess): Promise<Record<string, number>> {
  const pid = proxy.child.pid as number;
  const before = memory(pid);
  const bigBefore = upstream.requests.filter((r) => r.startsWith("GET /big")).length;
  const request = `GET http://${host()}/big?size=${ANSWER_BYTES} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`;
  const attacker: Socket = connect(proxy.port, "127.0.0.1");
  attacker.on("error", () => {});
  await new Promise<void>((resolve) => attacker.once("connect", () => resolve()));
  attacker.pause(); // never read a byte
  attacker.write(request.repeat(PIPELINED));
  await sleep(2500);
  // Another client, another connection: served while the attacker sits on its answer.
  const real = await get(proxy.port, "/big?size=1000");
  expect(real.status).toBe(200);
  // Streamed answers (issue 17) come chunked: the payload is the de-chunked body.
  expect(payloadOf(real).length).toBe(1000);
  const during = memory(pid);
  const fetched = upstream.requests.filter((r) => r.startsWith("GET /big")).length - bigBefore;
  // The attacker's first answer (and the real client's): the other 79 were never even started.
  expect(fetched).toBeLessThanOrEqual(3);
  await proxy.waitForLog((line) => line.msg === "client stopped reading: disconnected", 8000);
  attacker.destroy();
  expect(during.peakMiB).toBeLessThan(RSS_LIMIT_MIB);
  return {
    requests: PIPELINED,
    answerBytes: ANSWER_BYTES,
    upstreamFetches: fetched,
    rssBeforeMiB: before.rssMiB,
    peakRssMiB: during.peakMiB,
  };
}

describe("memory under hostile clients, Lambda mode", () => {
  let stack: LambdaStack;
  beforeAll(async () => {
    stack = await startLambdaStack({ label: "memory-bounds", daemonArgs: ["--write-timeout", "4"] });
    await seedParameters(sharedMoto().endpoint, {
      [`${stack.prefix}/localhost_${upstream.port}/headers/X-Api-Key`]: canaryValue("header"),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`a connection pipelining ${PIPELINED} requests for 4 MB answers through the function holds one answer`, async () => {
    figures.pipeliningLambda = await pipeliningProbe(stack.daemon);
  });
});

describe("memory under hostile clients", () => {
  it(`a connection pipelining ${PIPELINED} requests for 4 MB answers, never reading, holds one answer`, async () => {
    figures.pipelining = await pipeliningProbe(await daemon(["--write-timeout", "4"]));
  });

  it(`${UPLOADS} concurrent 4.5 MB uploads stay within the body budget: the rest get 503 daemon-busy`, async () => {
    const proxy = await daemon([]);
    const pid = proxy.child.pid as number;
    const before = memory(pid);
    const body = Buffer.alloc(UPLOAD_BYTES, 0x62);
    const head = `POST http://${host()}/upload HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${UPLOAD_BYTES}\r\nConnection: close\r\n\r\n`;
    const uploads = Array.from({ length: UPLOADS }, () =>
      rawExchange(proxy.port, Buffer.concat([Buffer.from(head), body]), { giveUpMs: 25_000 }),
    );
    await sleep(200);
    const real = await get(proxy.port, "/big?size=1000");
    const results = await Promise.all(uploads);
    const statuses: Record<string, number> = {};
    for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    const busy = results.filter((r) => r.status === 503);
    const during = memory(pid);
    figures.uploadStorm = {
      uploads: UPLOADS,
      uploadBytes: UPLOAD_BYTES,
      statuses,
      rssBeforeMiB: before.rssMiB,
      peakRssMiB: during.peakMiB,
    };
    // The real client is either served or told to retry, never left hanging.
    expect([200, 503]).toContain(real.status);
    expect(statuses[201] ?? 0).toBeGreaterThan(0);
    for (const result of busy) {
      expect(header(result, "x-ssm-sign-proxy-error")).toBe("daemon-busy");
      expect(header(result, "retry-after")).toBe("1");
    }
    // Status 0: the daemon closed the connection on an upload it refused before the client read the answer.
    expect(Object.keys(statuses).filter((s) => !["201", "503", "0"].includes(s))).toEqual([]);
    expect(during.peakMiB).toBeLessThan(RSS_LIMIT_MIB);
    // Once the storm is over, full-size uploads are admitted again.
    const after = await rawExchange(proxy.port, Buffer.concat([Buffer.from(head), body]));
    expect(after.status).toBe(201);
  });

  it("--max-in-flight caps requests across connections with 503 daemon-busy and Retry-After", async () => {
    const proxy = await daemon(["--max-in-flight", "2"]);
    const results = await Promise.all(Array.from({ length: 4 }, () => get(proxy.port, "/slow?ms=800")));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503]);
    const busy = results.filter((r) => r.status === 503);
    expect(busy.map((r) => header(r, "x-ssm-sign-proxy-error"))).toEqual(["daemon-busy", "daemon-busy"]);
    expect(busy.map((r) => header(r, "retry-after"))).toEqual(["1", "1"]);
    // The limit counts requests in flight, not requests ever: the next ones are served.
    expect((await get(proxy.port, "/slow?ms=10")).status).toBe(200);
  });

  it("cancels the upstream fetch when the client hangs up", async () => {
    const proxy = await daemon([]);
    const cancelledBefore = upstream.cancelled;
    const client = connect(proxy.port, "127.0.0.1");
    client.on("error", () => {});
    await new Promise<void>((resolve) => client.once("connect", () => resolve()));
    client.write(`GET http://${host()}/slow?ms=5000 HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    await sleep(500);
    const hungUp = performance.now();
    client.destroy();
    for (let waited = 0; upstream.cancelled === cancelledBefore && waited < 3000; waited += 50)
      await sleep(50);
    expect(upstream.cancelled).toBe(cancelledBefore + 1);
    figures.cancelAfterHangUpMs = Math.round(performance.now() - hungUp);
  });
});
