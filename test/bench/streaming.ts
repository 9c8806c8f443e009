/**
 * Streaming figures (docs/streaming.md): time to first byte of a Server-Sent Events API through each mode
 * against the client calling the API itself, throughput of a 10 MB download per mode, and the CPU cost of
 * scrubbing. `npm run bench` runs it after the load rounds; `tsx test/bench/streaming.ts` runs it alone (its
 * own upstream, --local daemon and Lambda-mode daemon) and writes test/bench/streaming-results.json.
 * Goals: TTFB added ≤ 20 ms in --local; scrubbing ≤ 10% of the CPU of an unscrubbed 10 MB answer.
 */
import { readFileSync, writeFileSync } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { join, resolve } from "node:path";
import { secretForms } from "../../lambda/scrub";
import { createStreamScrubber } from "../../lambda/scrub/stream-scrubber";
import type { Stoppable } from "./processes";
import { treeCpuSeconds } from "./rss";
import { type BenchContext, HEADER, localDaemonScenario, startUpstream } from "./scenarios";

const MB = 1024 * 1024;
const TTFB_SAMPLES = 20;
const DOWNLOADS = 5;

export interface StreamingFigures {
  /** Median ms from sending the request to the first SSE event, per path. */
  ttfbMs: Record<string, number>;
  /** Median ms added to the direct TTFB. */
  addedTtfbMs: Record<string, number>;
  /** Median MB/s of a 10 MB download. */
  throughputMBps: Record<string, number>;
  scrub: {
    cpuMsPerMB: number;
    cpuMsPer10MB: number;
    localDaemonCpuMsPer10MB: number;
    shareOfUnscrubbed: number;
  };
  goals: { ttfbAddedLocalMs: { goal: number; met: boolean }; scrubShare: { goal: number; met: boolean } };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

type Get = (path: string) => Promise<IncomingMessage>;

function direct(ctx: BenchContext): Get {
  const agent = new https.Agent({ keepAlive: true, ca: readFileSync(ctx.upstream.caFile) });
  return (path) =>
    new Promise((ok, fail) => {
      const req = https.get(
        { host: "localhost", port: ctx.upstream.port, path, agent, headers: { [HEADER[0]]: HEADER[1] } },
        ok,
      );
      req.on("error", fail);
    });
}

function viaDaemon(ctx: BenchContext, port: number): Get {
  const agent = new http.Agent({ keepAlive: true });
  return (path) =>
    new Promise((ok, fail) => {
      const req = http.get(
        { host: "127.0.0.1", port, path: `http://localhost:${ctx.upstream.port}${path}`, agent },
        ok,
      );
      req.on("error", fail);
    });
}

async function ttfb(get: Get): Promise<number> {
  const samples: number[] = [];
  // The first few warm up connections (TLS, keep-alive) and the JIT; they are not counted.
  for (let i = -3; i < TTFB_SAMPLES; i++) {
    const started = performance.now();
    const res = await get("/sse?count=2&intervalMs=20");
    // Listened for first: the rest and the end may arrive in the same read as the first event.
    const ended = new Promise((r) => res.once("end", r));
    const first = await new Promise<number>((ok) => res.once("data", () => ok(performance.now())));
    if (i >= 0) samples.push(first - started);
    res.resume();
    await ended;
  }
  return median(samples);
}

async function throughput(get: Get, pid?: number): Promise<{ mbps: number; cpuMs: number }> {
  const rates: number[] = [];
  const warm = await get(`/generate?size=${MB}`);
  for await (const _ of warm as AsyncIterable<Buffer>);
  const cpuBefore = pid ? treeCpuSeconds(pid) : 0;
  for (let i = 0; i < DOWNLOADS; i++) {
    const started = performance.now();
    const res = await get(`/generate?size=${10 * MB}`);
    let bytes = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) bytes += chunk.length;
    rates.push(bytes / MB / ((performance.now() - started) / 1000));
  }
  const cpuMs = pid ? ((treeCpuSeconds(pid) - cpuBefore) * 1000) / DOWNLOADS : 0;
  return { mbps: median(rates), cpuMs };
}

/** CPU to scrub 10 MB in 64 KiB chunks for the bench's one header parameter. */
function scrubCpuMsPer10MB(): number {
  const forms = secretForms([HEADER[1]]);
  const chunk = Buffer.alloc(64 * 1024, "abcdefghij0123456789 data: {}\n");
  const runs = 5;
  let before = process.cpuUsage();
  // The first run warms the JIT up and is not counted.
  for (let r = -1; r < runs; r++) {
    if (r === 0) before = process.cpuUsage();
    const scrubber = createStreamScrubber(forms);
    for (let sent = 0; sent < 10 * MB; sent += chunk.length) scrubber.push(chunk);
    scrubber.end();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / runs;
}

export async function measureStreaming(
  ctx: BenchContext,
  daemons: { local: { port: number; pid: number }; lambda?: { port: number } },
): Promise<StreamingFigures> {
  const paths: Record<string, Get> = { direct: direct(ctx), local: viaDaemon(ctx, daemons.local.port) };
  if (daemons.lambda) paths.lambda = viaDaemon(ctx, daemons.lambda.port);
  const ttfbMs: Record<string, number> = {};
  const throughputMBps: Record<string, number> = {};
  let localCpu = 0;
  for (const [name, get] of Object.entries(paths)) {
    ctx.log(`streaming: TTFB and 10 MB throughput (${name})`);
    ttfbMs[name] = Math.round((await ttfb(get)) * 100) / 100;
    const t = await throughput(get, name === "local" ? daemons.local.pid : undefined);
    throughputMBps[name] = Math.round(t.mbps);
    if (name === "local") localCpu = t.cpuMs;
  }
  const addedTtfbMs = Object.fromEntries(
    Object.entries(ttfbMs)
      .filter(([k]) => k !== "direct")
      .map(([k, v]) => [k, Math.round((v - (ttfbMs.direct ?? 0)) * 100) / 100]),
  );
  const scrubMs = scrubCpuMsPer10MB();
  const share = scrubMs / Math.max(0.001, localCpu - scrubMs);
  return {
    ttfbMs,
    addedTtfbMs,
    throughputMBps,
    scrub: {
      cpuMsPerMB: Math.round(scrubMs * 100) / 1000,
      cpuMsPer10MB: Math.round(scrubMs * 10) / 10,
      localDaemonCpuMsPer10MB: Math.round(localCpu * 10) / 10,
      shareOfUnscrubbed: Math.round(share * 1000) / 1000,
    },
    goals: {
      ttfbAddedLocalMs: { goal: 20, met: (addedTtfbMs.local ?? Number.POSITIVE_INFINITY) <= 20 },
      scrubShare: { goal: 0.1, met: share <= 0.1 },
    },
  };
}

export const STREAMING_RESULTS_FILE = join(import.meta.dirname, "streaming-results.json");

async function main(): Promise<void> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { lambdaDaemonScenario } = await import("./lambda-scenario");
  const dir = mkdtempSync(join(tmpdir(), "sign-proxy-bench-streaming-"));
  const stoppers: Stoppable[] = [];
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  try {
    const upstream = await startUpstream(dir);
    stoppers.push(upstream.service);
    const ctx: BenchContext = { dir, upstream, log };
    const local = await localDaemonScenario(ctx);
    stoppers.push(...local.services);
    const lambda = await lambdaDaemonScenario(ctx, stoppers);
    stoppers.push(...lambda.services);
    const port = (s: { target: { url: string } }) => Number(new URL(s.target.url).port);
    const figures = await measureStreaming(ctx, {
      local: { port: port(local), pid: local.memory.daemon ?? 0 },
      lambda: { port: port(lambda) },
    });
    writeFileSync(STREAMING_RESULTS_FILE, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await Promise.all(stoppers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`streaming bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
