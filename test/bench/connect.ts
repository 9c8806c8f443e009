/**
 * Scenario (f): a client with an https:// URL → daemon --intercept (CONNECT, TLS terminated with a leaf from
 * the local CA, signed in-process with --local) → upstream, against (a) the same client calling the upstream
 * itself over HTTPS with the header. Both with keep-alive, and (f) also with a new tunnel per request (a TLS
 * handshake each time; the leaf comes from the cache). Prints a Markdown table and writes
 * test/bench/connect-results.json. Run alone (it loads the machine): `npm run build && npx tsx test/bench/connect.ts`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectLoadFigures, runConnectLoad } from "./connect-client";
import { treeCpuSeconds } from "./rss";
import { HEADER, startDaemon, startUpstream } from "./scenarios";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);

const dir = mkdtempSync(join(tmpdir(), "bench-connect-"));
const upstream = await startUpstream(dir);
const paramsPath = join(dir, "params.json");
writeFileSync(
  paramsPath,
  JSON.stringify({ [`/localhost_${upstream.port}/headers/${HEADER[0]}`]: HEADER[1] }),
);
const caDir = join(dir, "ca");
const daemon = await startDaemon(
  { dir, upstream, log: console.log },
  "daemon-intercept",
  ["--local", paramsPath, "--intercept", "--ca-dir", caDir],
  {},
);
const upstreamCa = readFileSync(upstream.caFile, "utf8");
const ourCa = readFileSync(join(caDir, "ca.pem"), "utf8");

interface Row extends ConnectLoadFigures {
  label: string;
  cpuUsPerRequest?: number;
}

async function measure(
  label: string,
  proxied: boolean,
  newTunnelPerRequest: boolean,
  httpProxy = false,
): Promise<Row> {
  const base = {
    upstreamPort: upstream.port,
    connections: CONNECTIONS,
    newTunnelPerRequest,
    httpProxy,
    ...(proxied
      ? { proxyPort: daemon.port, ca: ourCa, headers: {} }
      : { ca: upstreamCa, headers: { [HEADER[0]]: HEADER[1] } }),
  };
  await runConnectLoad({ ...base, durationS: 2 }); // warm-up
  const cpuBefore = proxied ? treeCpuSeconds(daemon.service.pid) : 0;
  const figures = await runConnectLoad({ ...base, durationS: DURATION_S });
  const cpu = proxied ? treeCpuSeconds(daemon.service.pid) - cpuBefore : 0;
  const row: Row = { label, ...figures };
  if (proxied && figures.requests > 0) row.cpuUsPerRequest = (cpu / figures.requests) * 1e6;
  console.error(`${label}: ${JSON.stringify(row)}`);
  return row;
}

const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
let rows: Row[];
try {
  rows = [
    await measure("(a) client → upstream over HTTPS, header sent by the client (keep-alive)", false, false),
    await measure(
      "(b) client → daemon via http_proxy (http:// URL, no tunnel), keep-alive",
      true,
      false,
      true,
    ),
    await measure("(f) client → daemon --intercept → upstream, keep-alive tunnels", true, false),
    await measure("(a') client → upstream, new TLS connection per request", false, true),
    await measure("(f') client → daemon --intercept, new tunnel + TLS handshake per request", true, true),
  ];
} finally {
  await daemon.service.stop();
  await upstream.service.stop();
}
const minted = readFileSync(daemon.service.logFile, "utf8")
  .split("\n")
  .filter((l) => l.includes("minted a leaf")).length;
rmSync(dir, { recursive: true, force: true });

const [a, b, f, a2, f2] = rows as [Row, Row, Row, Row, Row];
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? "?"} (${cpus().length} vCPUs, shared), Node ${process.versions.node}; load average ${load} at start. ${CONNECTIONS} connections, one ${DURATION_S} s round each after a 2 s warm-up, the same raw TLS client for every row.`,
  "",
  "| Scenario | req/s | p50 ms | p99 ms | errors | daemon CPU per request |",
  "|---|---:|---:|---:|---:|---|",
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.reqPerSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.errors} | ${r.cpuUsPerRequest === undefined ? "–" : `${r.cpuUsPerRequest.toFixed(0)} µs`} |`,
  ),
  "",
  `Ratios of req/s: f/a ${(f.reqPerSec / a.reqPerSec).toFixed(2)} (goal ≥ 0.5 with keep-alive), f/b ${(f.reqPerSec / b.reqPerSec).toFixed(2)} (the cost of interception over http_proxy), f'/a' ${(f2.reqPerSec / a2.reqPerSec).toFixed(2)}. Leaf certificates minted: ${minted} (one host; goal: once per host, not per tunnel).`,
].join("\n");
console.log(table);
writeFileSync(
  join(import.meta.dirname, "connect-results.json"),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), loadAverage: load, connections: CONNECTIONS, durationS: DURATION_S, rows, minted }, null, 2)}\n`,
);
