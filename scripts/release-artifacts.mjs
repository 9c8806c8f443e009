// `npm run release-artifacts [DIR]` (after `npm run build`): what a GitHub release carries, in DIR (default
// release/): the two package tarballs from `npm pack`, the standalone daemon ssm-sign-proxy.mjs (the file the
// tests ran, copied) and SHA256SUMS over all three, in the format `sha256sum -c` reads.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const out = resolve(process.argv[2] ?? join(ROOT, "release"));
const standalone = join(ROOT, "dist/standalone/ssm-sign-proxy.mjs");
if (!existsSync(standalone)) {
  console.error(
    "release-artifacts: dist/standalone/ssm-sign-proxy.mjs is missing; run `npm run build` first",
  );
  process.exit(1);
}

// On a tag push the workflow passes the tag: a release v1.2.3 must carry packages of version 1.2.3.
const tag = process.env.RELEASE_TAG;
if (tag) {
  for (const pkg of ["proxy-daemon", "cdk"]) {
    const { name, version } = JSON.parse(readFileSync(join(ROOT, pkg, "package.json"), "utf8"));
    if (`v${version}` !== tag) {
      console.error(
        `release-artifacts: tag ${tag} but ${name} is version ${version}; bump ${pkg}/package.json`,
      );
      process.exit(1);
    }
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const packed = JSON.parse(
  execFileSync(
    "npm",
    [
      "pack",
      "--workspace",
      "proxy-daemon",
      "--workspace",
      "cdk",
      "--pack-destination",
      out,
      "--json",
      "--ignore-scripts",
    ],
    { cwd: ROOT, encoding: "utf8" },
  ),
);
copyFileSync(standalone, join(out, "ssm-sign-proxy.mjs"));

const files = [...packed.map((p) => p.filename), "ssm-sign-proxy.mjs"].map((f) => join(out, basename(f)));
const sums = files.map(
  (file) => `${createHash("sha256").update(readFileSync(file)).digest("hex")}  ${basename(file)}\n`,
);
writeFileSync(join(out, "SHA256SUMS"), sums.join(""));
for (const file of [...files, join(out, "SHA256SUMS")]) console.log(file);
