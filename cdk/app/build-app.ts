import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { readStackConfig } from "./context";
import { SignProxyStack } from "./stack";

export const STACK_NAME = "SsmSignProxy";

/**
 * The app `cdk synth` runs: the stack configured from context, with cdk-nag's AwsSolutions pack registered so
 * that synth fails on any finding not acknowledged with a reason (cdk-nag v3 is a policy-validation plugin).
 * Throws the input errors (ContextError, TrustGuardrailError, …) as they are.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: SignProxyStack } {
  const app = new App(props);
  const stack = new SignProxyStack(app, STACK_NAME, {
    config: readStackConfig(app.node),
    description: "ssm-sign-proxy: tokens in Parameter Store, signed and forwarded by Lambda",
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
