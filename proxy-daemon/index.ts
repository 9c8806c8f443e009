/**
 * The package's main export.
 * - Embedding (no daemon): `createSignedFetch`, `createSigningDispatcher` (undici Dispatcher).
 * - Running the daemon from code: `startDaemon` with options from `parseCli`.
 */
export type { DaemonOptions, LogLevel, SignerMode } from "./cli-options";
export { parseCli } from "./cli-options";
export { type DaemonDeps, type RunningDaemon, StartupError, startDaemon } from "./daemon";
export type { InvokeFailure, InvokeOutcome, Invoker } from "./invoker";
export { createLogger } from "./logger";
export { createSignedFetch, type SignedFetch } from "./signed-fetch";
export { type SignerOptions, SignerOptionsError } from "./signer-setup";
export { createSigningDispatcher, SigningDispatcher, SigningError } from "./signing-dispatcher";
