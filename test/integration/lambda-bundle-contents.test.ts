/**
 * What may go into the function: its own code under lambda/ and nothing else. The daemon's code (proxy-daemon/)
 * and its dependencies (undici, pino, prom-client, the Lambda and STS SDKs) would cost cold-start time and widen
 * what runs next to the parameters, so the Lambda bundle (dist/lambda/index.mjs, by scripts/build.mjs) is checked
 * through esbuild's metafile, and lambda/'s sources are checked for imports that point outside it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const META = join(ROOT, "dist/lambda.meta.json");

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

describe("the Lambda bundle", () => {
  it("is built only from lambda/ (no daemon code, no npm package)", () => {
    if (!existsSync(META)) throw new Error(`${META} is missing: run \`npm run build\` first (npm test does)`);
    const meta = JSON.parse(readFileSync(META, "utf8")) as Metafile;
    const bundled = Object.keys(meta.outputs["dist/lambda/index.mjs"]?.inputs ?? {});
    expect(bundled).toContain("lambda/index.ts");
    expect(bundled.filter((input) => !input.startsWith("lambda/"))).toEqual([]);
    // Imports left external must be Node built-ins, which the runtime has.
    const externals = Object.values(meta.inputs)
      .flatMap((input) => input.imports)
      .filter((i) => i.external)
      .map((i) => i.path);
    expect(externals.filter((path) => !path.startsWith("node:"))).toEqual([]);
  });

  it("lambda/ imports nothing from proxy-daemon/ or cdk/, not even types", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, "lambda"))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/from\s+"([^"]+)"/g)) {
        const target = match[1] ?? "";
        if (!target.startsWith(".")) continue;
        const resolved = relative(ROOT, resolve(file, "..", target));
        if (!resolved.startsWith("lambda/")) offenders.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
