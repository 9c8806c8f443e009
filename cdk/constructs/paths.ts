import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The same file runs from source (cdk/constructs/paths.ts, under tsx in a clone) and compiled into the
// package's bundle (node_modules/ssm-sign-proxy-cdk/dist/index.mjs): the nearest package.json above it is
// cdk/package.json in both cases, and the prebuilt assets sit at a fixed place below it.
function packageRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Thrown at synth time when a prebuilt asset is missing (a clone where `npm run build` has not run). */
export class MissingBuildError extends Error {
  override readonly name = "MissingBuildError";
}

export const PACKAGE_ROOT = packageRoot(fileURLToPath(import.meta.url));
/** `npm run build` copies dist/lambda/ (the bundle `npm test` runs) here, byte for byte. */
export const LAMBDA_ASSET_DIR = join(PACKAGE_ROOT, "dist", "assets", "lambda");
/** `npm run build` copies dist/standalone/ssm-sign-proxy.mjs (the file the e2e tests run) here. */
export const STANDALONE_DAEMON = join(PACKAGE_ROOT, "dist", "assets", "standalone", "ssm-sign-proxy.mjs");
