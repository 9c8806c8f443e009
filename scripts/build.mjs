// `npm run build`: every artefact, built once.
// - dist/lambda/index.mjs: the Lambda function (self-contained, target node22 = the nodejs22.x runtime). The
//   tests run this file; the CDK package deploys a byte copy of it (cdk/dist/assets/lambda/).
// - dist/standalone/ssm-sign-proxy.mjs: the daemon as one file for hosts without node_modules. The tests run
//   it; the CDK package ships a byte copy (cdk/dist/assets/standalone/) for the SSM association.
// - proxy-daemon/dist/: the `ssm-sign-proxy` package (cli.mjs, index.mjs; npm packages left as imports).
// - cdk/dist/: the `ssm-sign-proxy-cdk` package (index.mjs; aws-cdk-lib and constructs left as imports).
// - .d.ts for both packages (scripts/declarations.mjs), unless --bundles-only (cdk.json's quick rebuild).
// Entry points only: a new source file under lambda/, proxy-daemon/ or cdk/ needs no change here.

import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { build as esbuild } from "esbuild";
import { emitDeclarations } from "./declarations.mjs";

const bundlesOnly = process.argv.includes("--bundles-only");

// SDK v3 and a few dependencies still call require() for Node built-ins; in an ESM bundle that needs a real require.
const requireBanner =
  "import { createRequire as __ssmSignProxyCreateRequire } from 'node:module'; const require = __ssmSignProxyCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  banner: { js: requireBanner },
  logLevel: "warning",
};

/**
 * Writes a file only when its bytes change, through a rename: `cdk synth` (cdk.json) rebuilds while other
 * test files read these same files, and must never let them see a missing or half-written one.
 */
async function writeIfChanged(path, contents) {
  const current = await readFile(path).catch(() => undefined);
  if (current?.equals(contents)) return;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

async function build(options) {
  const result = await esbuild({ ...options, write: false });
  await Promise.all(result.outputFiles.map((file) => writeIfChanged(file.path, Buffer.from(file.contents))));
  return result;
}

// A full build starts clean, so nothing stale rides along into a package or an asset (dist/proxy-daemon/ is
// the pre-workspace layout). --bundles-only runs while tests read the outputs, and only rewrites.
if (!bundlesOnly) {
  const stale = ["dist/lambda", "dist/standalone", "dist/proxy-daemon", "proxy-daemon/dist", "cdk/dist"];
  await Promise.all(stale.map((dir) => rm(dir, { recursive: true, force: true })));
}
const [lambda] = await Promise.all([
  build({
    ...common,
    // The function runs on nodejs22.x only; it is built for that runtime (and the tests run it on this Node).
    target: "node22",
    entryPoints: ["lambda/index.ts"],
    outfile: "dist/lambda/index.mjs",
    // What went into the function, for the test that keeps daemon-only code out of it. Written next to the
    // folder, not in it: dist/lambda/ is the function's deployment asset.
    metafile: true,
  }),
  build({
    ...common,
    target: "node20",
    entryPoints: { cli: "proxy-daemon/cli/main.ts", index: "proxy-daemon/index.ts" },
    outdir: "proxy-daemon/dist",
    outExtension: { ".js": ".mjs" },
    // The daemon is installed with its dependencies; bundling only our own modules keeps pino, undici and
    // the SDK loadable the way their authors ship them (pino-pretty, for one, is resolved at run time).
    packages: "external",
  }),
  // One self-contained file for hosts without node_modules (the CDK association ships it as an S3 asset).
  build({
    ...common,
    target: "node20",
    entryPoints: ["proxy-daemon/cli/main.ts"],
    outfile: "dist/standalone/ssm-sign-proxy.mjs",
    external: ["pino-pretty"],
  }),
  // The constructs, compiled (no TypeScript loader needed at the consumer), readable in stack traces.
  build({
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    entryPoints: ["cdk/index.ts"],
    outfile: "cdk/dist/index.mjs",
    packages: "external",
  }),
]);
await writeIfChanged("dist/lambda.meta.json", Buffer.from(JSON.stringify(lambda.metafile)));

// Byte copies, not rebuilds: what the constructs deploy is what the tests ran (test/cdk/stack-assets.test.ts).
const copies = {
  "dist/lambda/index.mjs": "cdk/dist/assets/lambda/index.mjs",
  "dist/standalone/ssm-sign-proxy.mjs": "cdk/dist/assets/standalone/ssm-sign-proxy.mjs",
};
await Promise.all(Object.entries(copies).map(async ([from, to]) => writeIfChanged(to, await readFile(from))));

if (!bundlesOnly) emitDeclarations();
