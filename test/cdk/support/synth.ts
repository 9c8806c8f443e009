import { readFileSync } from "node:fs";
import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { readStackConfig } from "../../../cdk/app/context";
import { SignProxyStack } from "../../../cdk/app/stack";

export interface SynthesizedStack {
  readonly stack: SignProxyStack;
  readonly template: Template;
  /** Milliseconds from `new App()` to a finished template (includes bundling the function). */
  readonly synthMillis: number;
}

// The feature flags in cdk.json change what is synthesized; tests must see what `cdk synth` sees.
const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../../cdk.json", import.meta.url), "utf8"),
).context;

/** Synthesizes the app's stack exactly as `cdk synth -c key=value …` would, without the CLI. */
export function synthesize(context: Record<string, string> = {}): SynthesizedStack {
  const started = performance.now();
  // CDK's built-in CloudFormation validation costs ~3 s of WASM per synth; cfn-lint checks every template here.
  const app = new App({ context: { ...cdkJsonContext, ...context }, builtinCloudFormationValidation: false });
  const stack = new SignProxyStack(app, "SsmSignProxy", { config: readStackConfig(app.node) });
  const template = Template.fromStack(stack);
  return { stack, template, synthMillis: performance.now() - started };
}

export interface NagViolation {
  readonly rule: string;
  readonly paths: readonly string[];
}

/** cdk-nag AwsSolutions findings that no acknowledgement covers. */
export function unacknowledgedNagFindings(stack: Stack): NagViolation[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.map((violation) => ({
    rule: violation.ruleName,
    paths: violation.violatingResources.map((resource) => resource.constructPath ?? ""),
  }));
}
