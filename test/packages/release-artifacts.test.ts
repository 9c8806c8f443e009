/**
 * What a GitHub release carries (scripts/release-artifacts.mjs, run by .github/workflows/release.yml after
 * the tests): both tarballs, the tested standalone daemon, and SHA256SUMS that `sha256sum -c` accepts.
 * Needs `npm run build`.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TESTED_STANDALONE } from "../cdk/support/tested-bundles";
import { REPO_ROOT } from "../support/spawn-with-env";

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts/release-artifacts.mjs");
const version = (pkg: string): string =>
  JSON.parse(readFileSync(join(REPO_ROOT, pkg, "package.json"), "utf8")).version as string;

const out = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-release-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface WorkflowStep {
  name?: string;
  run?: string;
  uses?: string;
}
interface Workflow {
  on: { push: { tags: string[] } };
  jobs: Record<string, { steps: WorkflowStep[]; permissions?: Record<string, string> }>;
}

describe("release artifacts", () => {
  beforeAll(async () => {
    await run(process.execPath, [SCRIPT, out], { cwd: REPO_ROOT, env: { ...process.env, RELEASE_TAG: "" } });
  }, 60_000);

  it("are the two tarballs, the standalone daemon and SHA256SUMS", () => {
    expect(readdirSync(out).sort()).toEqual(
      [
        "SHA256SUMS",
        "ssm-sign-proxy.mjs",
        `ssm-sign-proxy-${version("proxy-daemon")}.tgz`,
        `ssm-sign-proxy-cdk-${version("cdk")}.tgz`,
      ].sort(),
    );
  });

  it("carry the standalone daemon the tests ran, byte for byte", () => {
    expect(readFileSync(join(out, "ssm-sign-proxy.mjs")).equals(readFileSync(TESTED_STANDALONE))).toBe(true);
  });

  it("list every file in SHA256SUMS, which sha256sum -c accepts", async () => {
    const listed = readFileSync(join(out, "SHA256SUMS"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("  ")[1]);
    expect(listed.sort()).toEqual(
      readdirSync(out)
        .filter((f) => f !== "SHA256SUMS")
        .sort(),
    );
    const check = await run("sha256sum", ["-c", "SHA256SUMS"], { cwd: out });
    expect(check.stdout).toMatch(/ssm-sign-proxy\.mjs: OK/);
  });

  it("refuse a tag that is not the packages' version", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-release-tag-"));
    try {
      const failed = await run(process.execPath, [SCRIPT, scratch], {
        cwd: REPO_ROOT,
        env: { ...process.env, RELEASE_TAG: "v99.0.0" },
      }).catch((error: { code: number; stderr: string }) => error);
      expect("code" in failed && failed.code).toBe(1);
      expect(failed.stderr).toContain("tag v99.0.0 but ssm-sign-proxy is version");
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe(".github/workflows/release.yml", () => {
  // BaseLoader: YAML 1.1 would read the key `on` as the boolean true.
  const workflow = JSON.parse(
    execFileSync(
      "python3",
      [
        "-c",
        "import json,sys,yaml; print(json.dumps(yaml.load(open(sys.argv[1]), Loader=yaml.BaseLoader)))",
        ".github/workflows/release.yml",
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    ),
  ) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.run ?? ""));

  it("runs on version tags only", () => {
    expect(workflow.on.push.tags).toEqual(["v[0-9]+.[0-9]+.[0-9]+*"]);
  });

  it("tests the build before making the artifacts from it, and attaches exactly those files", () => {
    const build = index(/npm ci|\.ci\/run/);
    const test = index(/vitest run|npm test|\.ci\/run/);
    const artifacts = index(/npm run release-artifacts/);
    const upload = index(/gh release create/);
    expect(build).toBeGreaterThanOrEqual(0);
    expect(build).toBeLessThanOrEqual(test);
    expect(test).toBeLessThan(artifacts);
    expect(artifacts).toBeLessThan(upload);
    expect(steps[upload]?.run).toContain(
      "release/ssm-sign-proxy-*.tgz release/ssm-sign-proxy.mjs release/SHA256SUMS",
    );
    // No rebuild between the tests and the upload: what was tested is what is attached.
    for (const step of steps.slice(test + 1))
      expect(step.run ?? "").not.toMatch(/npm run build|npm test|npm ci/);
  });

  it("never publishes to the npm registry", () => {
    for (const step of steps) expect(step.run ?? "").not.toMatch(/npm publish/);
  });
});
