// The typed configuration the context is read into: what the stack consumes, apart from how it is parsed.
import type { HostTag } from "../daemon/daemon-association";

export type KmsKeyChoice =
  | { readonly kind: "create" }
  | { readonly kind: "aws-managed" }
  | { readonly kind: "arn"; readonly arn: string };

export interface ExistingVpcConfig {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly vpcCidr?: string;
}

export interface AlbConfig {
  /** Undefined: a new VPC is created. */
  readonly existingVpc?: ExistingVpcConfig;
  readonly peers?: readonly string[];
  readonly certificateArn?: string;
}

export interface GitHubConfig {
  readonly repositories: readonly string[];
  readonly ref?: string;
  readonly environment?: string;
  readonly oidcProviderArn?: string;
}

export interface CircleCiConfig {
  readonly organizationId: string;
  readonly projectId: string;
  readonly userIds?: readonly string[];
  readonly oidcProviderArn?: string;
}

export interface StackConfig {
  /** `""`: parameters at `/<host>/…` (the Go original's naming); only with `hosts`. */
  readonly prefix?: string;
  /** The deployed host list: the function reads only these hosts' folders. */
  readonly hosts?: readonly string[];
  readonly functionName?: string;
  readonly kmsKey: KmsKeyChoice;
  readonly alb?: AlbConfig;
  readonly hostRole: boolean;
  readonly daemonTag?: HostTag;
  readonly daemonAddress?: string;
  /** The installed daemon also signs https:// URLs (CONNECT + TLS interception, CA made on the host). */
  readonly daemonIntercept: boolean;
  readonly github?: GitHubConfig;
  readonly circleci?: CircleCiConfig;
  readonly allowBroad: boolean;
}
