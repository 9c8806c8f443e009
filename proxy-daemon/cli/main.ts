#!/usr/bin/env node
/** `ssm-sign-proxy`: parse flags and environment, run the daemon, stop gracefully on SIGTERM/SIGINT. */
import { fstatSync } from "node:fs";
import { createLogger } from "../observe/logger";
import { version } from "../package.json";
import { parseCli, USAGE } from "./cli-options";
import { StartupError, startDaemon } from "./daemon";
import { runSubcommand } from "./subcommands";

/** Whether stdout and stderr are one file, pipe or terminal (`2>&1`, a plain terminal). */
function sameDestination(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const subcommand = runSubcommand(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  });
  if (subcommand !== undefined) return subcommand;
  const command = parseCli(process.argv.slice(2), process.env);
  if (command.kind === "usage-error") {
    process.stderr.write(`ssm-sign-proxy: ${command.message}\n`);
    return 2;
  }
  if (command.kind === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command.kind === "version") {
    process.stdout.write(`ssm-sign-proxy ${version}\n`);
    return 0;
  }
  const log = await createLogger(command.options.logLevel);
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(command.options, { log });
  } catch (err) {
    const message =
      err instanceof StartupError ? err.message : `unexpected start-up failure: ${(err as Error).message}`;
    // Once per destination: the plain line always (a person reads it: a terminal, a CI step's log tail, the
    // journal), the JSON log line too only when stdout goes elsewhere (e.g. to a log collector).
    if (!sameDestination()) log.fatal({ error: message }, "cannot start");
    process.stderr.write(`ssm-sign-proxy: ${message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping: finishing in-flight requests");
      daemon.stop().then(
        () => {
          log.info("stopped");
          resolve(0);
        },
        (err: Error) => {
          log.error({ error: err.message }, "error while stopping");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Keep-alive sockets and SDK agents must not hold the process open after a clean stop.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err: Error) => {
    process.stderr.write(`ssm-sign-proxy: ${err.message}\n`);
    process.exit(1);
  },
);
