/**
 * The figures each hardening run publishes (cases tried, faults survived, load held, peak RSS), merged into
 * test/hardening/results.json. Test files run in parallel forks, so each one owns a section and the merge is a
 * read-modify-write under a lock directory (mkdir is atomic), never a blind overwrite of another file's section.
 */
import { mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export const RESULTS_FILE = resolve(import.meta.dirname, "../results.json");
const LOCK_DIR = `${RESULTS_FILE}.lock`;

export type Section = Record<string, unknown>;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 200) throw error;
      sleepSync(25);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(LOCK_DIR);
  }
}

export function readResults(): Record<string, Section> {
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as Record<string, Section>;
  } catch {
    return {};
  }
}

/** Replaces one section (e.g. "fuzz", "faults", "load") with this run's figures, stamped with the run's kind. */
export function recordSection(name: string, figures: Section): void {
  withLock(() => {
    const all = readResults();
    all[name] = {
      ...figures,
      run: process.env.SOAK === "1" ? "soak" : "npm test",
      node: process.version,
      recordedAt: new Date().toISOString(),
    };
    const tmp = `${RESULTS_FILE}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(tmp, RESULTS_FILE);
  });
}

/** Whether this is the long run (`npm run soak`). */
export const SOAK = process.env.SOAK === "1";
