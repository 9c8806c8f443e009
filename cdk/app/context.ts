// Reads the `-c key=value` / cdk.json context into a typed configuration, refusing bad values with a message
// that names the key, the value and what to write instead. All problems are reported at once.

import type { Node } from "constructs";
import type { HostTag } from "../daemon/daemon-association";
import { unknownContextKeys } from "./unknown-context-keys";

/** Every context key the app understands, with the value syntax shown in error messages. */
export const CONTEXT_KEYS = {
  prefix: "prefix=sign-proxy (or prefix= with hosts=…)",
  functionName: "functionName=ssm-sign-proxy",
  hosts: "hosts=api.github.com,hooks.slack.com",
  kmsKey: "kmsKey=create | aws-managed | arn:aws:kms:REGION:ACCOUNT:key/ID",
  alb: "alb=true",
  vpcId: "vpcId=vpc-0123456789abcdef0 (with subnetIds and vpcCidr or albPeers)",
  subnetIds: "subnetIds=subnet-aaa,subnet-bbb",
  vpcCidr: "vpcCidr=10.0.0.0/16",
  albPeers: "albPeers=10.1.0.0/16,10.2.0.0/16",
  certificateArn: "certificateArn=arn:aws:acm:REGION:ACCOUNT:certificate/ID",
  hostRole: "hostRole=true",
  daemonTag: "daemonTag=ssm-sign-proxy=enabled",
  daemonAddress: "daemonAddress=127.0.0.1:8000",
  daemonIntercept: "daemonIntercept=true",
  githubRepo: "githubRepo=my-org/my-repo[,my-org/other]",
  githubRef: "githubRef=refs/heads/main",
  githubEnvironment: "githubEnvironment=production",
  githubOidcProviderArn:
    "githubOidcProviderArn=arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com",
  circleciOrgId: "circleciOrgId=<organization UUID>",
  circleciProjectId: "circleciProjectId=<project UUID>",
  circleciUserIds: "circleciUserIds=<user UUID>[,<user UUID>]",
  circleciOidcProviderArn:
    "circleciOidcProviderArn=arn:aws:iam::ACCOUNT:oidc-provider/oidc.circleci.com/org/ORG",
  allowBroad: "allowBroad=true",
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

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

/** Thrown when context values are invalid; `problems` lists each one. */
export class ContextError extends Error {
  override readonly name = "ContextError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid context:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** Where context comes from; `Node` satisfies it, and so does a plain lookup in tests. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  /** Every key given (`Node` has it): without it, misspelled keys cannot be noticed. */
  getAllContext?(): Record<string, unknown>;
}

const CIDR = /^(?:[0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[A-Za-z0-9-]+$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TAG_PART = /^[A-Za-z0-9 _.:/+@=-]{1,128}$/;

class ContextReader {
  readonly problems: string[] = [];
  constructor(private readonly source: ContextSource) {}

  string(key: ContextKey): string | undefined {
    const value = this.source.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      this.problems.push(`${key} must be a non-empty string, e.g. ${CONTEXT_KEYS[key]}`);
      return undefined;
    }
    return value.trim();
  }

  list(key: ContextKey): string[] | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const items = value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    if (items.length === 0) this.problems.push(`${key} lists nothing; e.g. ${CONTEXT_KEYS[key]}`);
    return items;
  }

  flag(key: ContextKey): boolean {
    const value = this.source.tryGetContext(key);
    if (value === undefined || value === null || value === false || value === "false") return false;
    if (value === true || value === "true") return true;
    this.problems.push(`${key}='${String(value)}' must be true or false, e.g. ${CONTEXT_KEYS[key]}`);
    return false;
  }

  matching(key: ContextKey, pattern: RegExp, value: string | undefined): void {
    if (value !== undefined && !pattern.test(value)) {
      this.problems.push(`${key}='${value}' is malformed; expected ${CONTEXT_KEYS[key]}`);
    }
  }

  /** `-c prefix=` is the empty prefix (parameters at `/<host>/…`), allowed only with a host list. */
  prefix(hosts: readonly string[] | undefined): string | undefined {
    const value = this.source.tryGetContext("prefix");
    if (typeof value !== "string" || value.trim().replace(/^\/+|\/+$/g, "") !== "")
      return this.string("prefix");
    if (hosts === undefined) {
      this.problems.push(
        `prefix is empty, which would let the function read every parameter in the account: pass ${CONTEXT_KEYS.prefix.split(" ")[0]} or list the hosts it signs for, ${CONTEXT_KEYS.hosts}`,
      );
      return undefined;
    }
    return "";
  }

  kmsKey(): KmsKeyChoice {
    const value = this.string("kmsKey") ?? "create";
    if (value === "create") return { kind: "create" };
    if (value === "aws-managed") return { kind: "aws-managed" };
    if (KMS_KEY_ARN.test(value)) return { kind: "arn", arn: value };
    this.problems.push(
      `kmsKey='${value}' is not 'create', 'aws-managed' or a key ARN; expected ${CONTEXT_KEYS.kmsKey}`,
    );
    return { kind: "create" };
  }

  alb(): AlbConfig | undefined {
    const enabled = this.flag("alb");
    const vpcId = this.string("vpcId");
    const subnetIds = this.list("subnetIds");
    const vpcCidr = this.string("vpcCidr");
    const peers = this.list("albPeers");
    const certificateArn = this.string("certificateArn");
    if (!enabled) {
      const stray = (["vpcId", "subnetIds", "vpcCidr", "albPeers", "certificateArn"] as const).filter(
        (key) => this.source.tryGetContext(key) !== undefined,
      );
      if (stray.length > 0)
        this.problems.push(`${stray.join(", ")} only apply with alb=true; add -c alb=true or drop them`);
      return undefined;
    }
    this.matching("vpcId", VPC_ID, vpcId);
    this.matching("vpcCidr", CIDR, vpcCidr);
    this.matching("certificateArn", CERTIFICATE_ARN, certificateArn);
    for (const subnetId of subnetIds ?? []) this.matching("subnetIds", SUBNET_ID, subnetId);
    for (const peer of peers ?? []) {
      this.matching("albPeers", CIDR, peer);
      if (peer === "0.0.0.0/0") {
        this.problems.push(
          "albPeers=0.0.0.0/0 would let anyone sign requests with your tokens; list your hosts' networks",
        );
      }
    }
    if (vpcId === undefined) {
      if (subnetIds !== undefined || vpcCidr !== undefined) {
        this.problems.push("subnetIds and vpcCidr describe an existing VPC; add vpcId=vpc-… or drop them");
      }
      return { peers, certificateArn };
    }
    // Looking the VPC up would need credentials at synth time; its shape is given instead.
    if (subnetIds === undefined || subnetIds.length < 2) {
      this.problems.push(
        `vpcId needs at least two subnets in different AZs for the ALB: ${CONTEXT_KEYS.subnetIds}`,
      );
    }
    if (vpcCidr === undefined && peers === undefined) {
      this.problems.push(
        `vpcId needs vpcCidr (to open the ALB to the VPC) or albPeers: ${CONTEXT_KEYS.vpcCidr}`,
      );
    }
    return { existingVpc: { vpcId, subnetIds: subnetIds ?? [], vpcCidr }, peers, certificateArn };
  }

  daemonTag(): HostTag | undefined {
    const value = this.string("daemonTag");
    if (value === undefined) return undefined;
    const separator = value.indexOf("=");
    const key = value.slice(0, separator);
    const tagValue = value.slice(separator + 1);
    if (separator <= 0 || !TAG_PART.test(key) || !TAG_PART.test(tagValue) || key.startsWith("aws:")) {
      this.problems.push(`daemonTag='${value}' is not Key=Value; expected ${CONTEXT_KEYS.daemonTag}`);
      return undefined;
    }
    return { key, value: tagValue };
  }

  github(): GitHubConfig | undefined {
    const repositories = this.list("githubRepo");
    const ref = this.string("githubRef");
    const environment = this.string("githubEnvironment");
    const oidcProviderArn = this.string("githubOidcProviderArn");
    if (repositories === undefined) {
      if (ref !== undefined || environment !== undefined || oidcProviderArn !== undefined) {
        this.problems.push(
          `githubRef, githubEnvironment and githubOidcProviderArn need ${CONTEXT_KEYS.githubRepo}`,
        );
      }
      return undefined;
    }
    return { repositories, ref, environment, oidcProviderArn };
  }

  circleci(): CircleCiConfig | undefined {
    const organizationId = this.string("circleciOrgId");
    const projectId = this.string("circleciProjectId");
    const userIds = this.list("circleciUserIds");
    const oidcProviderArn = this.string("circleciOidcProviderArn");
    if (organizationId === undefined && projectId === undefined) {
      if (userIds !== undefined || oidcProviderArn !== undefined) {
        this.problems.push(
          "circleciUserIds and circleciOidcProviderArn need circleciOrgId and circleciProjectId",
        );
      }
      return undefined;
    }
    if (organizationId === undefined || projectId === undefined) {
      this.problems.push(
        `CircleCI trust needs both ${CONTEXT_KEYS.circleciOrgId} and ${CONTEXT_KEYS.circleciProjectId}`,
      );
      return undefined;
    }
    return { organizationId, projectId, userIds, oidcProviderArn };
  }
}

/** Reads and validates the app's context. Throws `ContextError` listing every problem found. */
export function readStackConfig(source: ContextSource | Node): StackConfig {
  const reader = new ContextReader(source);
  const hosts = reader.list("hosts");
  const config: StackConfig = {
    prefix: reader.prefix(hosts),
    hosts,
    functionName: reader.string("functionName"),
    kmsKey: reader.kmsKey(),
    alb: reader.alb(),
    hostRole: reader.flag("hostRole"),
    daemonTag: reader.daemonTag(),
    daemonAddress: reader.string("daemonAddress"),
    daemonIntercept: reader.flag("daemonIntercept"),
    github: reader.github(),
    circleci: reader.circleci(),
    allowBroad: reader.flag("allowBroad"),
  };
  reader.matching("functionName", FUNCTION_NAME, config.functionName);
  const given = Object.keys(source.getAllContext?.() ?? {});
  reader.problems.push(...unknownContextKeys(given, Object.keys(CONTEXT_KEYS)));
  if (config.daemonAddress !== undefined && config.daemonTag === undefined) {
    reader.problems.push(`daemonAddress only applies with ${CONTEXT_KEYS.daemonTag}`);
  }
  if (config.daemonIntercept && config.daemonTag === undefined) {
    reader.problems.push(`daemonIntercept only applies with ${CONTEXT_KEYS.daemonTag}`);
  }
  if (reader.problems.length > 0) throw new ContextError(reader.problems);
  return config;
}
