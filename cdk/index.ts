// The package's entry (ssm-sign-proxy-cdk): the reusable constructs, for CDK apps that embed the signer in
// their own stacks. The repository's own app (app/build-app.ts, with cdk-nag) is not part of the package.
export { ContextError, readStackConfig } from "./app/context";
export { SignProxyStack, type SignProxyStackProps } from "./app/stack";
export type { StackConfig } from "./app/stack-config";
export { HostRole, type HostRoleProps } from "./constructs/host-role";
export { InternalAlb, InternalAlbError, type InternalAlbProps } from "./constructs/internal-alb";
export type { IInvokeGrantor } from "./constructs/invoke-grantor";
export { ParameterKey } from "./constructs/parameter-key";
export { ParameterPrefixError } from "./constructs/parameter-prefix";
export { MissingBuildError } from "./constructs/paths";
export { DEFAULT_PARAMETER_PREFIX, SignProxy, type SignProxyProps } from "./constructs/sign-proxy";
export {
  DaemonAssociation,
  DaemonAssociationError,
  type DaemonAssociationProps,
  type HostTag,
} from "./daemon/daemon-association";
export { DEFAULT_DAEMON_ADDRESS, daemonCommandLine } from "./daemon/daemon-command";
export { CircleCiTrust, type CircleCiTrustProps, circleCiIssuer } from "./trust/circleci-trust";
export {
  GitHubActionsTrust,
  type GitHubActionsTrustProps,
  gitHubSubjectPatterns,
  parseGitHubRepository,
} from "./trust/github-actions-trust";
export { MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD, TrustGuardrailError } from "./trust/trust-guardrails";
