/**
 * Each package's compiled JavaScript imports only what its package.json promises to install: the daemon its
 * `dependencies`, the constructs their `peerDependencies`. A dependency added to the root package.json (where
 * the workspace hoists it, so every other test passes) instead of the package's own would break only
 * newcomers' installs; this says which package.json it belongs in. Needs `npm run build`.
 */

import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/spawn-with-env";

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifest = (folder: string): Manifest =>
  JSON.parse(readFileSync(join(REPO_ROOT, folder, "package.json"), "utf8")) as Manifest;

/** Package names (`undici`, `@aws-sdk/client-lambda`) that a built ES module imports, statically or not. */
function importedPackages(file: string): string[] {
  const code = readFileSync(join(REPO_ROOT, file), "utf8");
  const specifiers = [
    ...code.matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...code.matchAll(/\bimport\s*["']([^"']+)["']/g),
  ].map((match) => match[1] ?? "");
  const builtins = new Set(builtinModules);
  const names = specifiers
    .filter((s) => !s.startsWith(".") && !s.startsWith("node:") && !builtins.has(s))
    .map((s) =>
      s
        .split("/")
        .slice(0, s.startsWith("@") ? 2 : 1)
        .join("/"),
    );
  return [...new Set(names)].sort();
}

describe("what the packages import is what they install", () => {
  it("ssm-sign-proxy: cli.mjs and index.mjs import only its dependencies", () => {
    const declared = Object.keys(manifest("proxy-daemon").dependencies ?? {});
    for (const file of ["proxy-daemon/dist/cli.mjs", "proxy-daemon/dist/index.mjs"]) {
      const missing = importedPackages(file).filter((name) => !declared.includes(name));
      expect(missing, `${file} imports ${missing.join(", ")}: npm install PACKAGE -w proxy-daemon`).toEqual(
        [],
      );
    }
    expect(importedPackages("proxy-daemon/dist/index.mjs")).toContain("undici");
  });

  it("ssm-sign-proxy-cdk: index.mjs imports only aws-cdk-lib and constructs (its peers)", () => {
    const peers = Object.keys(manifest("cdk").peerDependencies ?? {}).sort();
    expect(peers).toEqual(["aws-cdk-lib", "constructs"]);
    expect(importedPackages("cdk/dist/index.mjs")).toEqual(peers);
  });

  it("the function bundle imports no npm package at run time (Lambda installs none)", () => {
    expect(importedPackages("dist/lambda/index.mjs")).toEqual([]);
  });
});
