/** pino: JSON lines, or pretty when stdout is a terminal (and pino-pretty is installed). */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../cli/cli-options";

export type { Logger } from "pino";

async function prettyStream(): Promise<DestinationStream | undefined> {
  try {
    // Optional: the standalone bundle leaves it out, and then logs stay JSON.
    const mod = (await import("pino-pretty")) as { default: (opts: object) => DestinationStream };
    return mod.default({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
  } catch {
    return undefined;
  }
}

export async function createLogger(level: LogLevel, stream?: DestinationStream): Promise<Logger> {
  const options = { level, base: { pid: process.pid } };
  if (stream) return pino(options, stream);
  const pretty = process.stdout.isTTY ? await prettyStream() : undefined;
  return pino(options, pretty ?? pino.destination({ dest: 1, sync: true }));
}
