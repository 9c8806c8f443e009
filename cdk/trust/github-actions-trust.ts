import { Duration, aws_iam as iam } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { IInvokeGrantor } from "../constructs/invoke-grantor";
import {
  assertTrustConditions,
  refuseProviderForAnotherIssuer,
  refuseTooManyRepositories,
  refuseWildcardInRepository,
  type TrustConditions,
  TrustGuardrailError,
} from "./trust-guardrails";

export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";
export const GITHUB_DEFAULT_AUDIENCE = "sts.amazonaws.com";
export const GITHUB_DEFAULT_REF = "refs/heads/main";

/** One trusted repository; ids are present when given as `owner@ownerId/repo@repoId`. */
export interface GitHubRepository {
  readonly owner: string;
  readonly name: string;
  readonly ownerId?: string;
  readonly repositoryId?: string;
}

const SEGMENT = /^(?<name>[^@/]+)(?:@(?<id>[^@/]*))?$/;
const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const NUMERIC_ID = /^[0-9]+$/;

/** Parses `owner/repo` or `owner@ownerId/repo@repoId`, refusing wildcards and malformed names. */
export function parseGitHubRepository(spec: string): GitHubRepository {
  // Wildcards first: `*` alone is not owner/repo either, but the wildcard is the mistake worth naming.
  refuseWildcardInRepository(spec, spec, "githubRepo");
  const parts = spec.trim().split("/");
  const [ownerPart, repoPart] = parts;
  if (parts.length !== 2 || ownerPart === undefined || repoPart === undefined) {
    throw new TrustGuardrailError(
      spec,
      `githubRepo '${spec}' is not owner/repo; write it as my-org/my-repo (or my-org@ownerId/my-repo@repoId).`,
    );
  }
  const owner = SEGMENT.exec(ownerPart)?.groups;
  const repo = SEGMENT.exec(repoPart)?.groups;
  if (!owner?.name || !repo?.name || !OWNER_NAME.test(owner.name) || !REPOSITORY_NAME.test(repo.name)) {
    throw new TrustGuardrailError(
      spec,
      `githubRepo '${spec}' is not a valid GitHub owner/repo name; write it as my-org/my-repo.`,
    );
  }
  const hasOwnerId = owner.id !== undefined;
  const hasRepoId = repo.id !== undefined;
  if (
    hasOwnerId !== hasRepoId ||
    (hasOwnerId && !(NUMERIC_ID.test(owner.id ?? "") && NUMERIC_ID.test(repo.id ?? "")))
  ) {
    throw new TrustGuardrailError(
      spec,
      `githubRepo '${spec}' gives ids for only one side, or non-numeric ids; give both numeric ids ` +
        "(my-org@123/my-repo@456, see `gh api repos/OWNER/REPO --jq '.owner.id, .id'`) or none.",
    );
  }
  return {
    owner: owner.name,
    name: repo.name,
    ...(hasOwnerId ? { ownerId: owner.id, repositoryId: repo.id } : {}),
  };
}

/** Accepts a branch name as shorthand for its full ref, so `main` means `refs/heads/main`. */
export function normalizeGitRef(ref: string): string {
  return ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
}

export interface GitHubSubjectOptions {
  readonly ref?: string;
  readonly environment?: string;
}

/**
 * The `sub` patterns a job must match: the classic `repo:owner/repo:…` form, plus the immutable
 * `repo:owner@id/repo@id:…` form when ids are known (repositories that opted in, or were created
 * after GitHub switched the default, carry that form instead).
 */
export function gitHubSubjectPatterns(
  repositories: readonly GitHubRepository[],
  options: GitHubSubjectOptions,
): string[] {
  if (options.ref !== undefined && options.environment !== undefined) {
    throw new TrustGuardrailError(
      `${options.ref} + ${options.environment}`,
      "githubRef and githubEnvironment were both given, but a job that uses an environment gets a subject " +
        "naming only the environment (repo:OWNER/REPO:environment:NAME). Give one of them; to restrict an " +
        "environment to branches, use the environment's deployment branch rules in GitHub.",
    );
  }
  const qualifier =
    options.environment !== undefined
      ? `environment:${options.environment}`
      : `ref:${normalizeGitRef(options.ref ?? GITHUB_DEFAULT_REF)}`;
  return repositories.flatMap((repository) => {
    const classic = `repo:${repository.owner}/${repository.name}:${qualifier}`;
    if (repository.ownerId === undefined || repository.repositoryId === undefined) return [classic];
    return [
      classic,
      `repo:${repository.owner}@${repository.ownerId}/${repository.name}@${repository.repositoryId}:${qualifier}`,
    ];
  });
}

export interface GitHubActionsTrustProps {
  /** What the role may invoke; the role gets `lambda:InvokeFunction` on it and nothing else. */
  readonly invokeTarget: IInvokeGrantor;
  /**
   * Repositories whose workflows may assume the role: `owner/repo`, or `owner@ownerId/repo@repoId` to also
   * trust GitHub's immutable, id-bearing subject form. No wildcards.
   */
  readonly repositories: readonly string[];
  /**
   * The Git ref jobs must run on. A bare branch name means `refs/heads/<name>`; wildcards are allowed here
   * (`refs/tags/v*`). Mutually exclusive with `environment`.
   * @default "refs/heads/main" when `environment` is not set
   */
  readonly ref?: string;
  /**
   * The GitHub deployment environment jobs must use. Mutually exclusive with `ref`.
   * @default - jobs are matched by `ref`
   */
  readonly environment?: string;
  /**
   * The account's existing GitHub OIDC provider. AWS allows one provider per URL per account, so pass its
   * ARN when one exists already.
   * @default - a provider for token.actions.githubusercontent.com is created
   */
  readonly oidcProviderArn?: string;
  /**
   * The `aud` claim tokens must carry (`aws-actions/configure-aws-credentials` requests sts.amazonaws.com).
   * @default "sts.amazonaws.com"
   */
  readonly audience?: string;
  /**
   * Permit more than `MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD` repositories on one role.
   * @default false
   */
  readonly allowBroad?: boolean;
}

/** An IAM role that GitHub Actions jobs from named repositories can assume to invoke the signer. */
export class GitHubActionsTrust extends Construct {
  readonly role: iam.Role;
  readonly oidcProviderArn: string;
  readonly subjectPatterns: readonly string[];

  constructor(scope: Construct, id: string, props: GitHubActionsTrustProps) {
    super(scope, id);
    if (props.repositories.length === 0) {
      throw new TrustGuardrailError(
        "(none)",
        "GitHubActionsTrust needs at least one repository (githubRepo=owner/repo).",
      );
    }
    const repositories = props.repositories.map(parseGitHubRepository);
    refuseTooManyRepositories(props.repositories, props.allowBroad ?? false);
    this.subjectPatterns = gitHubSubjectPatterns(repositories, props);

    const conditions: TrustConditions = {
      StringEquals: { [`${GITHUB_OIDC_ISSUER}:aud`]: [props.audience ?? GITHUB_DEFAULT_AUDIENCE] },
      StringLike: { [`${GITHUB_OIDC_ISSUER}:sub`]: this.subjectPatterns },
    };
    assertTrustConditions(conditions, GITHUB_OIDC_ISSUER);

    this.oidcProviderArn = props.oidcProviderArn ?? this.createProvider();
    refuseProviderForAnotherIssuer(this.oidcProviderArn, GITHUB_OIDC_ISSUER, "githubOidcProviderArn");
    this.role = new iam.Role(this, "Role", {
      description: `GitHub Actions (${props.repositories.join(", ")}) may invoke the ssm-sign-proxy function`,
      assumedBy: new iam.WebIdentityPrincipal(this.oidcProviderArn, conditions),
      maxSessionDuration: Duration.hours(1),
    });
    props.invokeTarget.grantInvoke(this.role);
  }

  private createProvider(): string {
    return new iam.OidcProviderNative(this, "Provider", {
      url: `https://${GITHUB_OIDC_ISSUER}`,
      clientIds: [GITHUB_DEFAULT_AUDIENCE],
    }).oidcProviderArn;
  }
}
