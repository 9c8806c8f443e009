import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

/** The repository root (test/support/ is two levels down). */
export const REPO_ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");

export interface SpawnOptions {
  /** Extra environment, merged over this process's environment (or over nothing with `inheritEnv: false`). */
  env?: Record<string, string | undefined>;
  /** Default true. Keys set to undefined in `env` are removed. */
  inheritEnv?: boolean;
  /** Default: the repository root. */
  cwd?: string;
  /** Written to the child's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string | Buffer;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WaitOptions {
  /** Default 15000 ms. */
  timeoutMs?: number;
  /** Which stream to watch; default both. */
  stream?: "stdout" | "stderr" | "any";
}

/** A running child process whose output is captured line by line. */
export interface SpawnedProcess {
  child: ChildProcess;
  /** Complete stdout lines so far (without the newline). */
  stdout: string[];
  /** Complete stderr lines so far. */
  stderr: string[];
  /** Everything written so far to both streams, including an unfinished last line: for "never logs X" checks. */
  allOutput(): string;
  /**
   * Resolves with the match of the first line (already seen or still to come) matching `pattern`.
   * Rejects if the process exits first or the timeout passes; the error shows the last lines of output.
   */
  waitForLine(pattern: RegExp, opts?: WaitOptions): Promise<RegExpMatchArray>;
  /** Settles when the process has exited. */
  exited: Promise<ExitStatus>;
  /** Sends `signal` (default SIGTERM) to the process group, SIGKILL after `graceMs` (default 3000). Idempotent. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

const live = new Set<SpawnedProcess>();
let exitHookInstalled = false;

/**
 * Spawns `command args` with extra environment (NODE_EXTRA_CA_CERTS, AWS_* …; these are read at process
 * start, which is why tests spawn instead of importing) and captures its output.
 * The child leads its own process group so stop() also ends grandchildren (npx → node, sh → …).
 * Call `stop()` in afterEach/afterAll; anything still running when the test process exits is SIGKILLed.
 */
export function spawnWithEnv(
  command: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): SpawnedProcess {
  const env: Record<string, string> = {};
  const merged = { ...(opts.inheritEnv === false ? {} : process.env), ...opts.env };
  for (const [key, value] of Object.entries(merged)) if (value !== undefined) env[key] = value;

  const child = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const raw: string[] = [];
  const watchers = new Set<(line: string, stream: "stdout" | "stderr") => void>();

  const capture = (stream: "stdout" | "stderr", lines: string[]) => {
    let partial = "";
    const source = child[stream];
    source?.setEncoding("utf8");
    source?.on("data", (chunk: string) => {
      raw.push(chunk);
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) emit(line);
    });
    source?.on("end", () => {
      if (partial) emit(partial);
      partial = "";
    });
    function emit(line: string) {
      const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
      lines.push(clean);
      for (const watch of watchers) watch(clean, stream);
    }
  };
  capture("stdout", stdout);
  capture("stderr", stderr);
  child.stdin?.on("error", () => {}); // The child may exit without reading its input.
  child.stdin?.end(opts.stdin ?? "");

  // 'close' (not 'exit') so every output line has been captured before anyone sees the exit.
  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once("error", () => resolveExit({ code: null, signal: null }));
    child.once("close", (code, signal) => resolveExit({ code, signal }));
  });

  const tail = () => [
    ...stdout.slice(-10).map((l) => `stdout| ${l}`),
    ...stderr.slice(-10).map((l) => `stderr| ${l}`),
  ];

  let stopping: Promise<ExitStatus> | undefined;
  const proc: SpawnedProcess = {
    child,
    stdout,
    stderr,
    allOutput: () => raw.join(""),
    exited,
    waitForLine(pattern, { timeoutMs = 15_000, stream = "any" } = {}) {
      const already = [...(stream !== "stderr" ? stdout : []), ...(stream !== "stdout" ? stderr : [])];
      for (const line of already) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolveWait, rejectWait) => {
        const fail = (why: string) => {
          cleanup();
          rejectWait(new Error(`${command}: ${why} before a line matched ${pattern}\n${tail().join("\n")}`));
        };
        const timer = setTimeout(() => fail(`no match within ${timeoutMs} ms`), timeoutMs);
        const watch = (line: string, from: "stdout" | "stderr") => {
          if (stream !== "any" && stream !== from) return;
          const match = line.match(pattern);
          if (match) {
            cleanup();
            resolveWait(match);
          }
        };
        const cleanup = () => {
          clearTimeout(timer);
          watchers.delete(watch);
        };
        watchers.add(watch);
        void exited.then((status) => {
          if (watchers.has(watch)) fail(`exited (code ${status.code}, signal ${status.signal})`);
        });
      });
    },
    stop(signal = "SIGTERM", graceMs = 3000) {
      stopping ??= (async () => {
        // Signal the group even if the leader is gone: a grandchild may still hold the output pipes open.
        signalGroup(child, signal);
        const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
        const status = await exited;
        clearTimeout(timer);
        signalGroup(child, "SIGKILL");
        return status;
      })();
      return stopping.finally(() => live.delete(proc));
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const p of live) signalGroup(p.child, "SIGKILL");
    });
  }
  return proc;
}

/** Runs `node ...args` with the same Node binary as the tests (e.g. `["proxy-daemon/dist/cli.mjs", "--port", …]`). */
export function spawnNode(args: readonly string[], opts: SpawnOptions = {}): SpawnedProcess {
  return spawnWithEnv(process.execPath, args, opts);
}

/** Runs a TypeScript file with tsx (`node --import tsx file.ts ...args`), without npx's start-up cost. */
export function spawnTsx(
  file: string,
  args: readonly string[] = [],
  opts: SpawnOptions = {},
): SpawnedProcess {
  return spawnWithEnv(process.execPath, ["--import", "tsx", file, ...args], opts);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}
