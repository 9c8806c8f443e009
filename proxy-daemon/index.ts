/**
 * The package's main export.
 * - Embedding (no daemon): `createSignedFetch`, `createSigningDispatcher` (undici Dispatcher).
 * - Running the daemon from code: `startDaemon` with options from `parseCli`.
 */
export type { DaemonOptions, LogLevel, SignerMode } from "./cli/cli-options";
export { parseCli } from "./cli/cli-options";
export { type DaemonDeps, type RunningDaemon, StartupError, startDaemon } from "./cli/daemon";
export { createSignedFetch, type SignedFetch } from "./embed/signed-fetch";
export { type SignerOptions, SignerOptionsError } from "./embed/signer-setup";
export { createSigningDispatcher, SigningDispatcher } from "./embed/signing-dispatcher";
export { SigningError } from "./embed/signing-error";
export type { InvokeFailure, InvokeOutcome, Invoker } from "./invoke/invoker";
export { createLogger } from "./observe/logger";
