/** results.json -> Markdown tables, printed by the bench and pasted into the README by readme.ts. */
import type { Results } from "./summary";

const MB = 1024 * 1024;
const n = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined ? "n/a" : v.toFixed(digits);

export function scenarioTable(results: Results): string {
  const rows = [
    "| Scenario | req/s | p50 ms | p99 ms | errors | CPU per request | peak RSS under load |",
    "|---|---:|---:|---:|---:|---|---|",
  ];
  for (const key of ["a", "b", "c", "d", "e"] as const) {
    const s = results.scenarios[key];
    if (!s) {
      const why = results.skipped[key];
      if (why) rows.push(`| (${key}) skipped | | | | | | ${why} |`);
      continue;
    }
    const rss = Object.entries(s.peakRssBytes)
      .map(([role, bytes]) => `${role} ${(bytes / MB).toFixed(0)} MB`)
      .join(", ");
    const cpu = Object.entries(s.median.cpuUsPerRequest)
      .map(([role, us]) => `${role} ${us.toFixed(0)} µs`)
      .join(", ");
    rows.push(
      `| (${key}) ${s.label} | ${n(s.median.reqPerSec, 0)} | ${n(s.median.p50Ms, 2)} | ${n(s.median.p99Ms, 2)} | ${s.errors} | ${cpu || "–"} | ${rss || "–"} |`,
    );
  }
  const r = results.ratios;
  rows.push("");
  rows.push(
    `Ratios of median req/s: b/a ${n(r["b/a"], 2)}, b/d ${n(r["b/d"], 2)}, b/e ${n(r["b/e"], 2)}, c/b ${n(r["c/b"], 2)}.`,
  );
  return rows.join("\n");
}

export function targetTable(results: Results): string {
  const rows = ["| Target | Goal | Measured | Met |", "|---|---|---|---|"];
  for (const t of results.targets) {
    rows.push(
      `| ${t.name} | ${t.goal} | ${t.value} | ${t.met === null ? "n/a" : t.met ? "yes" : "**no**"} |`,
    );
  }
  return rows.join("\n");
}

export function machineLine(results: Results): string {
  const m = results.machine;
  const s = results.settings;
  return (
    `Measured ${results.generatedAt.slice(0, 10)} on ${m.cpuModel} (${m.cpus} vCPUs, shared), ${m.memoryGb} GB, ` +
    `Node ${m.node}, ${m.os}; load average ${m.loadAverage} at start. ` +
    `autocannon ${s.connections} connections, ${s.rounds} interleaved rounds × ${s.durationS} s per scenario, medians; ` +
    `everything on 127.0.0.1, upstream HTTPS with keep-alive in its own process.`
  );
}

export function fullReport(results: Results): string {
  return [machineLine(results), "", scenarioTable(results), "", targetTable(results)].join("\n");
}
