/**
 * Deploy what was tested: the stack's Lambda code asset and the daemon asset the SSM association installs
 * are, byte for byte, the files `npm test` runs (dist/lambda/, dist/standalone/ssm-sign-proxy.mjs), not
 * another build of the same sources. Needs `npm run build`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { afterAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../cdk/app/context";
import { SignProxyStack } from "../../cdk/app/stack";
import { MissingBuildError } from "../../cdk/constructs/paths";
import { SignProxy } from "../../cdk/constructs/sign-proxy";
import { TESTED_LAMBDA_DIR, TESTED_STANDALONE } from "./support/tested-bundles";

interface FileAsset {
  source: { path: string; packaging?: "zip" | "file" };
}
interface AssetManifest {
  files: Record<string, FileAsset>;
}

const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;
const outdir = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-assets-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

// The full synthesis a `cdk deploy` uploads from: templates plus staged assets in cdk.out.
const app = new App({
  outdir,
  context: { ...cdkJsonContext, daemonTag: "Role=web" },
  builtinCloudFormationValidation: false,
});
const stack = new SignProxyStack(app, "SsmSignProxy", { config: readStackConfig(app.node) });
const assembly = app.synth();
const template = assembly.getStackByName(stack.stackName).template as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const manifest = JSON.parse(
  readFileSync(join(outdir, `${stack.stackName}.assets.json`), "utf8"),
) as AssetManifest;

function resourcesOfType(type: string) {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

/** The staged copy of the asset whose S3 object key the template uses. */
function stagedAsset(objectKey: string): FileAsset["source"] {
  const hash = objectKey.replace(/\.(zip|mjs)$/, "");
  const asset = manifest.files[hash];
  if (!asset) throw new Error(`no asset ${hash} in the manifest`);
  return { ...asset.source, path: join(outdir, asset.source.path) };
}

function filesOf(dir: string): Record<string, Buffer> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [path.slice(dir.length + 1), readFileSync(path)];
      }),
  );
}

describe("the synthesized assets are the tested files", () => {
  it("deploys the function from a directory holding exactly the tested dist/lambda/ files", () => {
    const [fn] = resourcesOfType("AWS::Lambda::Function");
    const code = fn?.Properties.Code as { S3Key: string };
    const staged = stagedAsset(code.S3Key);
    expect(staged.packaging).toBe("zip");
    const deployed = filesOf(staged.path);
    const tested = filesOf(TESTED_LAMBDA_DIR);
    expect(Object.keys(deployed)).toEqual(["index.mjs"]);
    expect(Object.keys(deployed)).toEqual(Object.keys(tested));
    for (const name of Object.keys(tested))
      expect(deployed[name]?.equals(tested[name] as Buffer), name).toBe(true);
    expect(fn?.Properties.Handler).toBe("index.handler");
  });

  it("ships hosts the tested standalone daemon, with its checksum in the association", () => {
    const [association] = resourcesOfType("AWS::SSM::Association");
    const parameters = association?.Properties.Parameters as Record<string, unknown[]>;
    const url = JSON.stringify(parameters.DaemonUrl);
    const objectKey = /([0-9a-f]{64}\.mjs)/.exec(url)?.[1];
    expect(objectKey).toBeDefined();
    const staged = stagedAsset(objectKey as string);
    const tested = readFileSync(TESTED_STANDALONE);
    expect(readFileSync(staged.path).equals(tested)).toBe(true);
  });
});

describe("without a built bundle", () => {
  it("stops synth with MissingBuildError naming the file and `npm run build`", () => {
    const empty = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-no-bundle-"));
    try {
      const stack = new Stack(new App(), "NoBundle");
      const attempt = () => new SignProxy(stack, "Signer", { codeDirectory: empty });
      expect(attempt).toThrow(MissingBuildError);
      expect(stack.node.tryFindChild("Signer")).toBeUndefined();
      expect(attempt).toThrow(`the function bundle ${join(empty, "index.mjs")} does not exist`);
      expect(attempt).toThrow("run `npm run build` first");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
