/**
 * Rounds -> medians, ratios and the targets. Pure, so the report and the README table come from the same
 * numbers as results.json.
 */

import type { BundleCost } from "./bundle-cost";
import { median } from "./bundle-cost";
import type { HandlerCpu } from "./handler-cpu";
import type { LoadFigures } from "./load";
import type { ScenarioKey } from "./scenarios";

export interface SsmCalls {
  requests: number;
  hosts: number;
  ttlSeconds: number;
  simulatedSeconds: number;
  concurrency: number;
  calls: number;
  expected: number;
  failures: number;
}

/** One round's load figures plus the CPU time each process under test spent per request. */
export interface RoundFigures extends LoadFigures {
  cpuUsPerRequest: Record<string, number>;
}

export interface ScenarioResult {
  key: ScenarioKey;
  label: string;
  rounds: RoundFigures[];
  median: { reqPerSec: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: Record<string, number> };
  errors: number;
  /** Peak resident memory per process role under load, the highest over the rounds. */
  peakRssBytes: Record<string, number>;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

export interface Results {
  generatedAt: string;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  scenarios: Partial<Record<ScenarioKey, ScenarioResult>>;
  skipped: Partial<Record<ScenarioKey, string>>;
  ratios: Record<string, number | null>;
  micro: { handlerCpu: HandlerCpu; bundle: BundleCost; ssmCalls: SsmCalls };
  targets: Target[];
}

export function summarise(
  key: ScenarioKey,
  label: string,
  rounds: RoundFigures[],
  peaks: Array<Record<string, number>>,
): ScenarioResult {
  const cpuUsPerRequest: Record<string, number> = {};
  for (const role of Object.keys(rounds[0]?.cpuUsPerRequest ?? {})) {
    cpuUsPerRequest[role] = median(rounds.map((r) => r.cpuUsPerRequest[role] ?? 0));
  }
  const peakRssBytes: Record<string, number> = {};
  for (const peak of peaks) {
    for (const [role, bytes] of Object.entries(peak))
      peakRssBytes[role] = Math.max(peakRssBytes[role] ?? 0, bytes);
  }
  return {
    key,
    label,
    rounds,
    median: {
      reqPerSec: median(rounds.map((r) => r.reqPerSec)),
      p50Ms: median(rounds.map((r) => r.p50Ms)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
      cpuUsPerRequest,
    },
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    peakRssBytes,
  };
}

type Scenarios = Results["scenarios"];

function ratio(scenarios: Scenarios, top: ScenarioKey, bottom: ScenarioKey): number | null {
  const t = scenarios[top]?.median.reqPerSec;
  const b = scenarios[bottom]?.median.reqPerSec;
  return t !== undefined && b !== undefined && b > 0 ? t / b : null;
}

export function ratios(scenarios: Scenarios): Record<string, number | null> {
  return {
    "b/a": ratio(scenarios, "b", "a"),
    "b/d": ratio(scenarios, "b", "d"),
    "b/e": ratio(scenarios, "b", "e"),
    "c/b": ratio(scenarios, "c", "b"),
  };
}

const fmt = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined ? "n/a" : n.toFixed(digits);
const MB = 1024 * 1024;

export function targets(
  scenarios: Scenarios,
  r: Record<string, number | null>,
  micro: Results["micro"],
): Target[] {
  const b = scenarios.b;
  const d = scenarios.d;
  const daemonRss = b?.peakRssBytes.daemon;
  const list: Target[] = [
    {
      name: "b vs d req/s",
      goal: "b ≥ 1.5× d",
      value: `${fmt(r["b/d"])}×`,
      met: r["b/d"] === null ? null : (r["b/d"] as number) >= 1.5,
    },
    {
      name: "b vs d p99",
      goal: "b p99 ≤ d p99",
      value: b && d ? `${fmt(b.median.p99Ms)} vs ${fmt(d.median.p99Ms)} ms` : "n/a",
      met: b && d ? b.median.p99Ms <= d.median.p99Ms : null,
    },
    {
      name: "b vs e req/s",
      goal: "b ≥ 0.75× e",
      value: `${fmt(r["b/e"])}×`,
      met: r["b/e"] === null ? null : (r["b/e"] as number) >= 0.75,
    },
    {
      name: "c vs b req/s",
      goal: "c ≥ 0.45× b",
      value: `${fmt(r["c/b"])}×`,
      met: r["c/b"] === null ? null : (r["c/b"] as number) >= 0.45,
    },
    {
      name: "handler overhead",
      goal: "≤ 50 µs/request",
      value: `${fmt(micro.handlerCpu.microsPerRequest, 1)} µs (${fmt(micro.handlerCpu.microsPerRequestBilled, 1)} µs with log line and runtime JSON)`,
      met: micro.handlerCpu.microsPerRequest <= 50,
    },
    {
      name: "bundle size",
      goal: "≤ 500 KB minified",
      value: `${(micro.bundle.bytes / 1024).toFixed(1)} KB (${(micro.bundle.gzipBytes / 1024).toFixed(1)} KB gzipped)`,
      met: micro.bundle.bytes <= 500 * 1024,
    },
    {
      name: "bundle import",
      goal: "≤ 100 ms",
      value: `${fmt(micro.bundle.importMsMedian, 1)} ms`,
      met: micro.bundle.importMsMedian <= 100,
    },
    {
      name: "daemon RSS at 64 connections",
      goal: "≤ 120 MB",
      value: daemonRss === undefined ? "n/a" : `${(daemonRss / MB).toFixed(1)} MB`,
      met: daemonRss === undefined ? null : daemonRss <= 120 * MB,
    },
    {
      name: "SSM calls",
      goal: "= hosts × ⌈duration / TTL⌉",
      value: `${micro.ssmCalls.calls} for ${micro.ssmCalls.requests} requests (expected ${micro.ssmCalls.expected})`,
      met: micro.ssmCalls.calls === micro.ssmCalls.expected && micro.ssmCalls.failures === 0,
    },
  ];
  return list;
}
