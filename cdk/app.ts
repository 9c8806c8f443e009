// `cdk synth` / `cdk deploy` entry (see cdk.json). The stack is environment-agnostic: synth needs no
// credentials and performs no lookups.
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ContextError, readStackConfig, type StackConfig } from "./context";
import { SignProxyStack } from "./stack";

const app = new App();
let config: StackConfig;
try {
  config = readStackConfig(app.node);
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  console.error(error.message);
  process.exit(1);
}

new SignProxyStack(app, "SsmSignProxy", {
  config,
  description: "ssm-sign-proxy: tokens in Parameter Store, signed and forwarded by Lambda",
});
// cdk-nag v3 is a policy-validation plugin: synth fails on any finding not acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
