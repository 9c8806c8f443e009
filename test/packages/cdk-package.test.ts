/**
 * The `ssm-sign-proxy-cdk` package as a newcomer gets it: packed with `npm pack`, installed from the tarball
 * next to aws-cdk-lib and constructs, and used from a minimal CDK app (`SignProxy` + `grantInvoke()`) that
 * `cdk synth` runs the two ways `cdk init app --language typescript` has set projects up: tsx with
 * NodeNext (today's template) and ts-node with CommonJS (the template before it). No esbuild, no lock file,
 * no bundling at the consumer: the function asset is the prebuilt bundle the tests ran. Needs `npm run build`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TESTED_LAMBDA_DIR } from "../cdk/support/tested-bundles";
import { REPO_ROOT } from "../support/spawn-with-env";
import {
  type ConsumerProject,
  createConsumerProject,
  type PackedPackage,
  packWorkspace,
  repoVersion,
} from "./support/consumer-project";

const CDK_CLI = join(REPO_ROOT, "node_modules/aws-cdk/bin/cdk");

const APP_SOURCE = `#!/usr/bin/env node
import { App, Stack, aws_iam as iam } from "aws-cdk-lib";
import { SignProxy } from "ssm-sign-proxy-cdk";

const app = new App();
const stack = new Stack(app, "ConsumerStack");
const signer = new SignProxy(stack, "Signer", { prefix: "consumer", functionName: "consumer-signer" });
const appRole = new iam.Role(stack, "AppRole", { assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com") });
signer.grantInvoke(appRole);
`;

/** The two setups `cdk init app --language typescript` has produced (its tsconfig and cdk.json "app"). */
const SETUPS = {
  tsx: {
    app: "npx tsc && npx tsx bin/app.ts",
    compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["es2022"] },
  },
  "ts-node": {
    app: "npx ts-node --prefer-ts-exts bin/app.ts",
    compilerOptions: { target: "ES2020", module: "commonjs", lib: ["es2020", "dom"] },
  },
} as const;

interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}

function resources(outdir: string): [string, CfnResource][] {
  const template = JSON.parse(readFileSync(join(outdir, "ConsumerStack.template.json"), "utf8"));
  return Object.entries(template.Resources as Record<string, CfnResource>);
}

const scratch = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-pack-"));
let packed: PackedPackage;
let project: ConsumerProject;

beforeAll(async () => {
  const started = performance.now();
  packed = await packWorkspace("cdk", scratch);
  project = await createConsumerProject({
    packages: [packed],
    dependencies: { "aws-cdk-lib": repoVersion("aws-cdk-lib"), constructs: repoVersion("constructs") },
    devDependencies: {
      typescript: repoVersion("typescript"),
      "@types/node": repoVersion("@types/node"),
      tsx: repoVersion("tsx"),
      "ts-node": repoVersion("ts-node"),
    },
  });
  console.info(
    `pack + install (aws-cdk-lib included): ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const [name, setup] of Object.entries(SETUPS)) {
    project.write(`${name}/bin/app.ts`, APP_SOURCE);
    project.write(`${name}/cdk.json`, JSON.stringify({ app: setup.app }));
    project.write(
      `${name}/tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          ...setup.compilerOptions,
          declaration: true,
          strict: true,
          noImplicitReturns: true,
          experimentalDecorators: true,
          strictPropertyInitialization: false,
          skipLibCheck: true,
          noEmit: true,
          types: ["node"],
        },
        exclude: ["node_modules", "cdk.out"],
      }),
    );
  }
}, 300_000);

afterAll(() => {
  project?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the ssm-sign-proxy-cdk tarball", () => {
  it("holds compiled JavaScript, declarations and the prebuilt function and daemon, no TypeScript sources", () => {
    expect(packed.name).toBe("ssm-sign-proxy-cdk");
    expect(packed.files).toEqual(
      expect.arrayContaining([
        "package.json",
        "dist/index.mjs",
        "dist/types/index.d.ts",
        "dist/assets/lambda/index.mjs",
        "dist/assets/standalone/ssm-sign-proxy.mjs",
      ]),
    );
    expect(packed.files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("declares aws-cdk-lib and constructs as peers and depends on nothing else", () => {
    const manifest = JSON.parse(
      readFileSync(join(project.dir, "node_modules/ssm-sign-proxy-cdk/package.json"), "utf8"),
    );
    expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(["aws-cdk-lib", "constructs"]);
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.scripts ?? {}).toEqual({});
  });
});

interface Synth {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}
const synths = new Map<string, Promise<Synth>>();

/**
 * `cdk synth` in one setup's folder; both setups run at once. About 10 s of CPU each (most of it TypeScript
 * checking against aws-cdk-lib's declarations, as `cdk init` projects do on every synth), which a shared,
 * loaded machine can stretch to minutes of wall time: hence the generous limits.
 */
function cdkSynth(name: string): Promise<Synth> {
  let synth = synths.get(name);
  if (!synth) {
    const started = performance.now();
    synth = project
      .exec(
        process.execPath,
        [CDK_CLI, "synth", "--quiet", "--no-notices", "--no-version-reporting", "-o", "cdk.out"],
        {
          cwd: name,
          env: { CDK_DISABLE_VERSION_CHECK: "true", AWS_EC2_METADATA_DISABLED: "true" },
          timeoutMs: 300_000,
        },
      )
      .then((result) => ({ ...result, seconds: (performance.now() - started) / 1000 }));
    synths.set(name, synth);
  }
  return synth;
}

describe.each(Object.keys(SETUPS))("cdk synth of a consumer app set up for %s", (name) => {
  let synth: Synth;
  let outdir: string;

  beforeAll(async () => {
    outdir = join(project.dir, name, "cdk.out");
    for (const setup of Object.keys(SETUPS)) void cdkSynth(setup);
    synth = await cdkSynth(name);
    console.info(`consumer cdk synth (${name}, type check included): ${synth.seconds.toFixed(1)} s`);
  }, 320_000);

  it("type-checks and synthesizes", () => {
    expect(synth.code, synth.stdout + synth.stderr).toBe(0);
  });

  it("deploys the prebuilt bundle, byte for byte the one the tests ran", () => {
    const [fn] = resources(outdir).filter(([, r]) => r.Type === "AWS::Lambda::Function");
    expect(fn?.[1].Properties).toMatchObject({ FunctionName: "consumer-signer", Runtime: "nodejs22.x" });
    const code = fn?.[1].Properties.Code as { S3Key: string };
    const staged = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, "")}`);
    expect(readdirSync(staged)).toEqual(["index.mjs"]);
    const tested = readFileSync(join(TESTED_LAMBDA_DIR, "index.mjs"));
    expect(readFileSync(join(staged, "index.mjs")).equals(tested)).toBe(true);
  });

  it("grantInvoke() gives the app's role lambda:InvokeFunction on the function", () => {
    const all = resources(outdir);
    const [functionId] = all.find(([, r]) => r.Type === "AWS::Lambda::Function") ?? [];
    const [roleId] =
      all.find(
        ([, r]) =>
          r.Type === "AWS::IAM::Role" &&
          JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes("ec2.amazonaws.com"),
      ) ?? [];
    const policy = all.find(
      ([, r]) =>
        r.Type === "AWS::IAM::Policy" &&
        JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )?.[1];
    expect((policy?.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: { "Fn::GetAtt": [functionId, "Arn"] } },
    ]);
  });
});
