/**
 * The figures each hardening run publishes (cases tried, faults survived, load held, peak RSS), merged into
 * test/hardening/results.json. Test files run in parallel forks, so each one owns a section and the merge is a
 * read-modify-write under a lock directory (mkdir is atomic), never a blind overwrite of another file's section.
 */
import { mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The committed figures (docs/reliability.md is generated from them). */
export const PUBLISHED_RESULTS_FILE = resolve(import.meta.dirname, "../results.json");
/**
 * Where this run records. A plain `npm test` must not leave the work tree modified, so only a run meant to
 * publish (`HARDENING_RECORD=1 npm test`, or the soak) writes the committed file; others write to the temp dir.
 */
export const RESULTS_FILE =
  process.env.HARDENING_RECORD === "1" || process.env.SOAK === "1"
    ? PUBLISHED_RESULTS_FILE
    : join(tmpdir(), "ssm-sign-proxy-hardening-results.json");
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

export function readResults(file: string = RESULTS_FILE): Record<string, Section> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, Section>;
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
