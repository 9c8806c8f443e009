/** The package says MIT in package.json; the repository and the npm tarball carry the licence text to match. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SKIP = new Set(["node_modules", "dist", "cdk.out", ".git", ".venv"]);

/** package.json files of the repository itself (the root and, in a workspace, its packages). */
function manifests(dir = ROOT, depth = 0): string[] {
  const found = existsSync(join(dir, "package.json")) ? [join(dir, "package.json")] : [];
  if (depth === 2) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIP.has(entry.name))
      found.push(...manifests(join(dir, entry.name), depth + 1));
  }
  return found;
}

describe("licence", () => {
  it("LICENSE is the MIT licence, and every package.json that names a licence names MIT", () => {
    const text = readFileSync(resolve(ROOT, "LICENSE"), "utf8");
    expect(text.split("\n")[0]).toBe("MIT License");
    expect(text).toMatch(/^Copyright \(c\) \d{4} /m);
    expect(text).toContain("Permission is hereby granted, free of charge");
    const licences = manifests()
      .map((file) => (JSON.parse(readFileSync(file, "utf8")) as { license?: string }).license)
      .filter((licence) => licence !== undefined);
    expect(licences.length).toBeGreaterThan(0);
    expect(new Set(licences)).toEqual(new Set(["MIT"]));
  });
});
