import { fileURLToPath } from "node:url";

// Resolved from this file so the construct works from a clone and from an installed package alike.
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const LAMBDA_ENTRY = fileURLToPath(new URL("../../lambda/index.ts", import.meta.url));
export const LOCK_FILE = fileURLToPath(new URL("../../package-lock.json", import.meta.url));
export const STANDALONE_DAEMON = fileURLToPath(
  new URL("../../dist/standalone/ssm-sign-proxy.mjs", import.meta.url),
);
