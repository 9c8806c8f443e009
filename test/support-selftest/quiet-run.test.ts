/**
 * The test run's own output stays readable: on Node < 22 the AWS SDK's end-of-support notice (8 lines) would
 * otherwise come once from the runner and once from every worker. Runs vitest itself on one small file that
 * loads the SDK, from an environment where nobody silenced the notice.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const nodeMajor = Number(process.versions.node.split(".")[0]);

describe("npm test output", () => {
  it.skipIf(nodeMajor >= 22)("carries no AWS SDK Node version notice", { timeout: 90_000 }, () => {
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _silenced, ...env } = process.env;
    const run = spawnSync(
      process.execPath,
      [resolve(root, "node_modules/vitest/vitest.mjs"), "run", "test/unit/ci-sts-errors.test.ts"],
      { cwd: root, env, encoding: "utf8", timeout: 80_000 },
    );
    expect(run.status).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain("NodeVersionSupportWarning");
  });
});
