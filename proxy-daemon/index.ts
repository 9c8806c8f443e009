/** The package's main export: run the daemon from code, or sign requests without one (embedding). */
export type { DaemonOptions, LogLevel, SignerMode } from "./cli-options";
export { parseCli } from "./cli-options";
export { type DaemonDeps, type RunningDaemon, StartupError, startDaemon } from "./daemon";
export type { InvokeFailure, InvokeOutcome, Invoker } from "./invoker";
