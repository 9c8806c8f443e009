import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// The path a user takes: `npx cdk synth` through cdk.json, with no AWS credentials and no network.
const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-cdk-out-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const offlineEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_PROFILE: "",
  AWS_EC2_METADATA_DISABLED: "true",
  CDK_DISABLE_VERSION_CHECK: "true",
};

function cdkSynth(args: string[]) {
  const started = performance.now();
  const result = spawnSync("npx", ["cdk", "synth", "--quiet", "--no-notices", "-o", outdir, ...args], {
    cwd: projectRoot,
    env: offlineEnv,
    encoding: "utf8",
    timeout: 150_000,
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe("npx cdk synth (cdk.json app)", () => {
  it("synthesizes the default stack offline, cdk-nag included", { timeout: 160_000 }, () => {
    const result = cdkSynth([]);
    console.info(`npx cdk synth took ${result.seconds.toFixed(1)} s (build + bundling + cdk-nag + CLI)`);
    expect(result.stderr).not.toMatch(/AwsSolutions-/);
    expect(result.status).toBe(0);
    const templatePath = join(outdir, "SsmSignProxy.template.json");
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, "utf8"));
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(["FunctionName", "DaemonCommand"]));
  });

  it.each([
    [
      "invalid context values, all at once",
      { kmsKey: "alias/aws/ssm", alb: "yes" },
      ["kmsKey='alias/aws/ssm'", "alb='yes' must be true or false"],
    ],
    [
      "a wildcard repository",
      { githubRepo: "my-org/*" },
      ["githubRepo 'my-org/*' contains a wildcard", "List each repository"],
    ],
    ["a reserved prefix", { prefix: "aws/tokens" }, ["prefix 'aws/tokens' starts with 'aws'"]],
    // `-c prefix=` reaches the app as "" (the CLI splits at the first `=`).
    [
      "an empty prefix without a host list",
      { prefix: "" },
      ["prefix is empty", "prefix=sign-proxy", "hosts=api.github.com,hooks.slack.com"],
    ],
    [
      "misspelled keys",
      { albb: "true", daemontag: "ssm-sign-proxy=enabled" },
      [
        "unknown context key albb (did you mean alb?)",
        "unknown context key daemontag (did you mean daemonTag?)",
      ],
    ],
  ])("refuses %s with the message alone", { timeout: 60_000 }, (_case, context, messages) => {
    // The app itself, as the CLI starts it (context arrives in CDK_CONTEXT_JSON), without the build step.
    const result = spawnSync(process.execPath, ["--import", "tsx", "cdk/app/app.ts"], {
      cwd: projectRoot,
      env: { ...offlineEnv, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      encoding: "utf8",
      timeout: 50_000,
    });
    expect(result.status).toBe(1);
    for (const message of messages) expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
