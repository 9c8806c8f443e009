// Reads the context one value or section at a time, collecting every problem rather than stopping.
import type { HostTag } from "../daemon/daemon-association";
import { CONTEXT_KEYS, type ContextKey } from "./context-keys";
import type { AlbConfig, CircleCiConfig, GitHubConfig, KmsKeyChoice } from "./stack-config";

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
const TAG_PART = /^[A-Za-z0-9 _.:/+@=-]{1,128}$/;

export class ContextReader {
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
