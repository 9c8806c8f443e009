/**
 * A short profile of one daemon build in --local mode (not a benchmark): the bench's upstream process, the daemon
 * (BENCH_DAEMON_CLI, default the built CLI) with --cpu-prof into QUICK_PROF_DIR if set, autocannon for QUICK_SECONDS
 * (default 6) at 32 connections. Prints req/s and the daemon's CPU per request. For trying a change before
 * spending a full `npm run bench` on it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { treeCpuSeconds } from "./rss";
import { DAEMON_CLI, HEADER, startDaemon, startUpstream } from "./scenarios";

const dir = mkdtempSync(join(tmpdir(), "sign-proxy-quick-"));
const upstream = await startUpstream(dir);
const params = join(dir, "params.json");
writeFileSync(
  params,
  JSON.stringify({ [`/bench/localhost_${upstream.port}/headers/${HEADER[0]}`]: HEADER[1] }),
);
process.env.BENCH_CPU_PROF = process.env.QUICK_PROF_DIR;
const ctx = { dir, upstream } as Parameters<typeof startDaemon>[0];
process.stderr.write(`daemon: ${DAEMON_CLI}\n`);
const { service, port } = await startDaemon(
  ctx,
  "daemon-local",
  ["--local", params, "--prefix", "bench"],
  {},
);
try {
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: 32,
      duration,
      timeout: 10,
      requests: [{ method: "GET", path: `http://localhost:${upstream.port}/echo` }],
    });
  await run(2);
  const before = treeCpuSeconds(service.pid);
  const result = await run(Number(process.env.QUICK_SECONDS ?? 6));
  const cpu = treeCpuSeconds(service.pid) - before;
  const requests = result.requests.total;
  console.log(
    JSON.stringify({
      rps: Math.round(result.requests.average),
      p99: result.latency.p99,
      cpuMicrosPerRequest: Math.round((cpu / requests) * 1e6),
      errors: result.errors + result.non2xx,
    }),
  );
} finally {
  await service.stop();
  await upstream.service.stop();
}
