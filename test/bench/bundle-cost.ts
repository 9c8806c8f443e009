/**
 * Cold-start stand-ins for the Lambda bundle: its size (raw and gzipped: the deployment package is a zip) and the
 * time a fresh Node process takes to import it, module-scope clients included. Median of several fresh processes,
 * because one process start on a shared 2-core machine is noise.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

export interface BundleCost {
  file: string;
  bytes: number;
  gzipBytes: number;
  importMsMedian: number;
  importMsRuns: number[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function measureBundle(file: string, runs = 7): BundleCost {
  const bytes = statSync(file).size;
  const gzipBytes = gzipSync(readFileSync(file), { level: 9 }).length;
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const importMsRuns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      // What the Lambda environment provides; no network is touched at import.
      env: {
        PATH: process.env.PATH,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIAIMPORTTIME000000",
        AWS_SECRET_ACCESS_KEY: "import-time",
      },
      encoding: "utf8",
      // The SDK's Node-version notice goes to stderr; only the figure on stdout matters.
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 30_000,
    });
    importMsRuns.push(Number(out));
  }
  // Relative, so results.json reads the same on every machine.
  return {
    file: relative(process.cwd(), file),
    bytes,
    gzipBytes,
    importMsMedian: median(importMsRuns),
    importMsRuns,
  };
}
