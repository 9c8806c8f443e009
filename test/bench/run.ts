/**
 * `npm run bench`: starts every scenario locally, drives each with the same autocannon settings in interleaved
 * rounds, takes the micro-measurements, prints the tables and writes test/bench/results.json.
 *
 * Bounded: BENCH_ROUNDS × scenarios × BENCH_DURATION seconds of load (default 3 × 5 × 8 s) plus start-up and the
 * micro-measurements; every child process is stopped on the way out, also on failure.
 *
 * Overrides: BENCH_ROUNDS, BENCH_DURATION (s), BENCH_CONNECTIONS; BENCH_ONLY=b,c (a always runs) and
 * BENCH_CPU_PROF=DIR / BENCH_DAEMON_CLI=FILE for profiling (see scenarios.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { measureBundle } from "./bundle-cost";
import { measureHandlerCpu } from "./handler-cpu";
import { lambdaDaemonScenario } from "./lambda-scenario";
import { runLoad } from "./load";
import type { Stoppable } from "./processes";
import { fullReport } from "./report";
import { sampleRss, treeCpuSeconds } from "./rss";
import {
  type BenchContext,
  limitScenario,
  localDaemonScenario,
  nginxScenario,
  plainProxyScenario,
  REPO_ROOT,
  type Scenario,
  type ScenarioKey,
  startUpstream,
} from "./scenarios";
import { measureStreaming, STREAMING_RESULTS_FILE } from "./streaming";
import { type Results, type RoundFigures, ratios, type SsmCalls, summarise, targets } from "./summary";

function envInt(name: string, fallback: number, max: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}

const ROUNDS = envInt("BENCH_ROUNDS", 3, 10);
const DURATION_S = envInt("BENCH_DURATION", 8, 60);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 64, 512);
// Long enough for JIT and every keep-alive connection to the upstream to be in place before a round counts.
const WARMUP_S = 3;
const RESULTS_FILE = join(import.meta.dirname, "results.json");

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function measureSsmCalls(ctx: BenchContext): SsmCalls {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "ssm-calls-process.ts"), String(ctx.upstream.port)],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: ctx.upstream.caFile },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 120_000,
    },
  );
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as SsmCalls;
}

function machine(): Record<string, string | number> {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown CPU",
    cpus: list.length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.versions.node,
    os: `Linux ${release()}`,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sign-proxy-bench-"));
  const services: Stoppable[] = [];
  const started = Date.now();
  // Ctrl-C or a CI timeout: stop every child before leaving, so no server outlives the bench.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping ${services.length} processes`);
      void Promise.all(services.map((s) => s.stop())).finally(() => process.exit(130));
    });
  }
  try {
    const machineInfo = machine();
    log(`scratch dir ${dir}`);
    const upstream = await startUpstream(dir);
    services.push(upstream.service);
    const ctx: BenchContext = { dir, upstream, log };

    log("micro: bundle size and import time");
    const bundle = measureBundle(join(REPO_ROOT, "dist/lambda/index.mjs"));
    log("micro: handler CPU per request (100k iterations)");
    const handlerCpu = await measureHandlerCpu();
    log("micro: SSM calls per 10k requests");
    const ssmCalls = measureSsmCalls(ctx);

    const scenarios: Scenario[] = [limitScenario(ctx)];
    const skipped: Partial<Record<ScenarioKey, string>> = {};
    const only = process.env.BENCH_ONLY?.split(",").map((k) => k.trim());
    const add = async (key: ScenarioKey, start: () => Promise<Scenario | { skipped: string }>) => {
      if (only && !only.includes(key)) {
        skipped[key] = "not selected (BENCH_ONLY)";
        return;
      }
      try {
        const s = await start();
        if ("skipped" in s) {
          skipped[key] = s.skipped;
          log(`(${key}) skipped: ${s.skipped}`);
          return;
        }
        services.push(...s.services);
        scenarios.push(s);
      } catch (err) {
        skipped[key] = `failed to start: ${(err as Error).message.split("\n")[0]}`;
        log(`(${key}) ${skipped[key]}`);
      }
    };
    await add("b", () => localDaemonScenario(ctx));
    await add("c", () => lambdaDaemonScenario(ctx, services));
    await add("d", () => plainProxyScenario(ctx));
    await add("e", () => nginxScenario(ctx));
    scenarios.sort((x, y) => x.key.localeCompare(y.key));

    for (const s of scenarios) {
      log(`warm-up (${s.key}) ${WARMUP_S} s`);
      const warm = await runLoad(s.target, { connections: CONNECTIONS, durationS: WARMUP_S });
      if (warm.requests === 0) log(`(${s.key}) answered nothing during warm-up (${warm.errors} errors)`);
      await s.trim?.();
    }

    const rounds = new Map(
      scenarios.map((s) => [
        s.key,
        { figures: [] as RoundFigures[], peaks: [] as Array<Record<string, number>> },
      ]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no scenario always runs right after the same neighbour.
      const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length] as Scenario);
      for (const s of order) {
        const roles = Object.keys(s.memory);
        const pids = Object.values(s.memory);
        const cpuBefore = pids.map(treeCpuSeconds);
        const stopSampling = sampleRss(pids);
        const figures = await runLoad(s.target, { connections: CONNECTIONS, durationS: DURATION_S });
        const peaks = stopSampling();
        // CPU per request is robust to a busy machine in a way req/s is not: it is what each request costs.
        const cpuUs = pids.map(
          (pid, i) => ((treeCpuSeconds(pid) - (cpuBefore[i] ?? 0)) * 1e6) / Math.max(1, figures.requests),
        );
        const entry = rounds.get(s.key);
        entry?.figures.push({
          ...figures,
          cpuUsPerRequest: Object.fromEntries(roles.map((role, i) => [role, cpuUs[i] ?? 0])),
        });
        entry?.peaks.push(Object.fromEntries(roles.map((role, i) => [role, peaks[i] ?? 0])));
        await s.trim?.();
        log(
          `round ${round + 1}/${ROUNDS} (${s.key}) ${figures.reqPerSec.toFixed(0)} req/s, p50 ${figures.p50Ms.toFixed(2)} ms, p99 ${figures.p99Ms.toFixed(2)} ms, ${figures.errors} errors`,
        );
      }
    }

    const summaries: Results["scenarios"] = {};
    for (const s of scenarios) {
      const entry = rounds.get(s.key);
      if (entry) summaries[s.key] = summarise(s.key, s.label, entry.figures, entry.peaks);
    }
    const micro = { handlerCpu, bundle, ssmCalls };
    const r = ratios(summaries);
    const results: Results = {
      generatedAt: new Date().toISOString(),
      machine: machineInfo,
      settings: {
        loadGenerator: "autocannon (in the bench driver process)",
        connections: CONNECTIONS,
        durationS: DURATION_S,
        rounds: ROUNDS,
        warmupS: WARMUP_S,
        nginxWorkerProcesses: 1,
        totalSeconds: Math.round((Date.now() - started) / 1000),
      },
      scenarios: summaries,
      skipped,
      ratios: r,
      micro,
      targets: targets(summaries, r, micro),
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${fullReport(results)}\n\nWrote ${RESULTS_FILE}\n`);

    // Streaming (docs/streaming.md): TTFB of an SSE API and 10 MB throughput per mode, the CPU of scrubbing.
    const local = scenarios.find((s) => s.key === "b");
    const lambda = scenarios.find((s) => s.key === "c");
    if (local) {
      const port = (s: Scenario) => Number(new URL(s.target.url).port);
      const streaming = await measureStreaming(ctx, {
        local: { port: port(local), pid: local.memory.daemon ?? 0 },
        ...(lambda ? { lambda: { port: port(lambda) } } : {}),
      });
      writeFileSync(STREAMING_RESULTS_FILE, `${JSON.stringify(streaming, null, 2)}\n`);
      process.stdout.write(`\nStreaming: ${JSON.stringify(streaming)}\nWrote ${STREAMING_RESULTS_FILE}\n`);
    }
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
