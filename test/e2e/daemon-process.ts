/**
 * Runs the built daemon (`proxy-daemon/dist/cli.mjs`, what `npx ssm-sign-proxy` runs) as a child process on
 * a free port, and collects its JSON log lines. Child processes, because NODE_EXTRA_CA_CERTS (to trust the
 * test CA) is read only at process start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../proxy-daemon/dist/cli.mjs");
export const STANDALONE = resolve(import.meta.dirname, "../../dist/standalone/ssm-sign-proxy.mjs");

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  /** `http://127.0.0.1:PORT`: what http_proxy is set to. */
  proxyUrl: string;
  logs: LogLine[];
  /** Raw stdout+stderr, for assertions that nothing secret was printed. */
  output(): string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  /** Sends SIGTERM (if still running) and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Waits until a log line matches. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

export interface StartOptions {
  args: string[];
  env?: Record<string, string>;
  /** Which script to run; default the npm bin. */
  script?: string;
  /** Resolve once the process exits instead of waiting for "listening" (for fail-fast tests). */
  expectExit?: boolean;
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

export async function startDaemonProcess(opts: StartOptions): Promise<DaemonProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [opts.script ?? CLI, "--address", "127.0.0.1:0", ...opts.args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      AWS_EC2_METADATA_DISABLED: "true",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let output = "";
  const waiters: Array<{ predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let pending = "";
  const onLine = (text: string) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    logs.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const p of parts) onLine(p);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));

  const waitForLog = (predicate: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`no matching log line within ${timeoutMs} ms; output:\n${output}`)),
        timeoutMs,
      );
      waiters.push({
        predicate,
        resolve: (l) => {
          clearTimeout(timer);
          res(l);
        },
      });
    });
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  let port = 0;
  if (!opts.expectExit) {
    const listening = await Promise.race([
      waitForLog((l) => typeof l.address === "string" && String(l.msg).startsWith("listening"), 20_000),
      exited.then((code) => {
        throw new Error(`daemon exited with ${code} before listening:\n${output}`);
      }),
    ]);
    port = Number(String(listening.address).split(":").pop());
  } else {
    await exited;
  }
  return {
    child,
    port,
    proxyUrl: `http://127.0.0.1:${port}`,
    logs,
    output: () => output,
    exited,
    stop,
    waitForLog,
  };
}
