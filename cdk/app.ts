// `cdk synth` / `cdk deploy` entry (see cdk.json). The stack is environment-agnostic: synth needs no
// credentials and performs no lookups.
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ContextError, readStackConfig } from "./context";
import { DaemonAssociationError } from "./daemon-association";
import { InternalAlbError } from "./internal-alb";
import { ParameterPrefixError } from "./parameter-prefix";
import { SignProxyStack } from "./stack";
import { TrustGuardrailError } from "./trust-guardrails";

// Refusals of the user's input: their messages say what to change, so a stack trace would only bury them.
const INPUT_ERRORS = [
  ContextError,
  TrustGuardrailError,
  ParameterPrefixError,
  InternalAlbError,
  DaemonAssociationError,
];

const app = new App();
try {
  new SignProxyStack(app, "SsmSignProxy", {
    config: readStackConfig(app.node),
    description: "ssm-sign-proxy: tokens in Parameter Store, signed and forwarded by Lambda",
  });
} catch (error) {
  if (!INPUT_ERRORS.some((type) => error instanceof type)) throw error;
  console.error(`ssm-sign-proxy: ${(error as Error).message}`);
  process.exit(1);
}
// cdk-nag v3 is a policy-validation plugin: synth fails on any finding not acknowledged with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
