// Bundles the Lambda function and the daemon with esbuild.
// The Lambda bundle carries its own AWS SDK (pinned, tree-shaken) instead of relying on the runtime's copy.

import { mkdir, writeFile } from "node:fs/promises";
import { build } from "esbuild";

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

await mkdir("dist", { recursive: true });
const [lambda] = await Promise.all([
  build({
    ...common,
    target: "node20",
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
    outdir: "dist/proxy-daemon",
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
]);
await writeFile("dist/lambda.meta.json", JSON.stringify(lambda.metafile));
