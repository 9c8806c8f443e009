/** pino: JSON lines, or pretty when stdout is a terminal (and pino-pretty is installed). */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../cli/cli-options";

export type { Logger } from "pino";

/** One line per entry on a terminal: a request line must not take a screenful. */
export const PRETTY_OPTIONS = {
  colorize: true,
  translateTime: "SYS:HH:MM:ss.l",
  ignore: "pid,hostname",
  singleLine: true,
} as const;

export async function prettyStream(
  options: Record<string, unknown> = PRETTY_OPTIONS,
): Promise<DestinationStream | undefined> {
  try {
    // Optional: the standalone bundle leaves it out, and then logs stay JSON.
    const mod = (await import("pino-pretty")) as { default: (opts: object) => DestinationStream };
    return mod.default(options);
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
