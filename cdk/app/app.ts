// `cdk synth` / `cdk deploy` entry (see cdk.json). The stack is environment-agnostic: synth needs no
// credentials and performs no lookups.
import type { App } from "aws-cdk-lib";
import { InternalAlbError } from "../constructs/internal-alb";
import { ParameterPrefixError } from "../constructs/parameter-prefix";
import { MissingBuildError } from "../constructs/paths";
import { DaemonAssociationError } from "../daemon/daemon-association";
import { TrustGuardrailError } from "../trust/trust-guardrails";
import { buildApp } from "./build-app";
import { ContextError } from "./context";

// Refusals of the user's input: their messages say what to change, so a stack trace would only bury them.
const INPUT_ERRORS = [
  ContextError,
  TrustGuardrailError,
  ParameterPrefixError,
  InternalAlbError,
  DaemonAssociationError,
  MissingBuildError,
];

let app: App;
try {
  app = buildApp().app;
} catch (error) {
  if (!INPUT_ERRORS.some((type) => error instanceof type)) throw error;
  console.error(`ssm-sign-proxy: ${(error as Error).message}`);
  process.exit(1);
}
app.synth();
