/**
 * Child processes for the bench: each server under test runs in its own process, so it gets its own event loop
 * and its RSS can be read from /proc. Output goes to a file rather than through a pipe: a pipe would make the
 * bench driver read (and pay CPU for) every access-log line while it is also the load generator.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/** Anything the driver must stop on the way out. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export interface Service extends Stoppable {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  logFile: string;
  /** Keep stdout as a pipe (for a one-line hand-shake); stderr still goes to the log file. */
  stdoutPipe?: boolean;
}

export function spawnService(opts: SpawnOptions): Service {
  const fd = openSync(opts.logFile, "a");
  const child = spawn(opts.command, opts.args, {
    env: opts.env,
    stdio: ["ignore", opts.stdoutPipe ? "pipe" : fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${opts.name}: could not start ${opts.command}`);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    name: opts.name,
    child,
    pid: child.pid,
    logFile: opts.logFile,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** The first stdout line of a child that announces itself with one JSON line (`{port, ...}`). */
export function firstJsonLine<T>(service: Service, timeoutMs = 30_000): Promise<T> {
  const { child } = service;
  if (!child.stdout) throw new Error(`${service.name}: stdout is not a pipe`);
  const lines = createInterface({ input: child.stdout });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${service.name}: no start-up line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null) =>
      fail(new Error(`${service.name} exited (${code}) before starting: ${tail(service.logFile)}`));
    function fail(error: Error) {
      clearTimeout(timer);
      lines.close();
      reject(error);
    }
    child.once("exit", onExit);
    lines.once("line", (line) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      // Keep draining whatever else it prints so the pipe never fills and blocks it.
      child.stdout?.resume();
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${service.name}: start-up line is not JSON: ${line}`));
      }
    });
  });
}

/** Polls a log file until a JSON line matches (the daemon logs `listening on …` with its address). */
export async function waitForLogLine(
  service: Service,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const text of readFileSync(service.logFile, "utf8").split("\n")) {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (predicate(line)) return line;
      } catch {
        // not a JSON line
      }
    }
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited: ${tail(service.logFile)}`);
    if (Date.now() > deadline)
      throw new Error(`${service.name}: no matching log line: ${tail(service.logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls a log file until a line matches `pattern` (for children that announce themselves in plain text). */
export async function waitForText(
  service: Service,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = tail(service.logFile, 1_000_000).match(pattern);
    if (match) return match;
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited: ${tail(service.logFile)}`);
    if (Date.now() > deadline)
      throw new Error(`${service.name}: no ${pattern} within ${timeoutMs} ms: ${tail(service.logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function tail(file: string, chars = 2000): string {
  try {
    return readFileSync(file, "utf8").slice(-chars);
  } catch {
    return "(no log)";
  }
}
