// The reusable constructs, for CDK apps that embed the signer in their own stacks.
export { buildApp, STACK_NAME } from "./build-app";
export { CircleCiTrust, type CircleCiTrustProps, circleCiIssuer } from "./circleci-trust";
export { ContextError, readStackConfig, type StackConfig } from "./context";
export {
  DaemonAssociation,
  DaemonAssociationError,
  type DaemonAssociationProps,
  type HostTag,
} from "./daemon-association";
export { DEFAULT_DAEMON_ADDRESS, daemonCommandLine } from "./daemon-command";
export {
  GitHubActionsTrust,
  type GitHubActionsTrustProps,
  gitHubSubjectPatterns,
  parseGitHubRepository,
} from "./github-actions-trust";
export { HostRole, type HostRoleProps } from "./host-role";
export { InternalAlb, InternalAlbError, type InternalAlbProps } from "./internal-alb";
export type { IInvokeGrantor } from "./invoke-grantor";
export { ParameterKey } from "./parameter-key";
export { ParameterPrefixError } from "./parameter-prefix";
export { DEFAULT_PARAMETER_PREFIX, SignProxy, type SignProxyProps } from "./sign-proxy";
export { SignProxyStack, type SignProxyStackProps } from "./stack";
export { MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD, TrustGuardrailError } from "./trust-guardrails";
