import { Token } from "aws-cdk-lib";

// Synth-time refusals for CI trust policies. A trust policy that is too broad fails silently in the
// attacker's favour, and one with a typo fails silently in nobody's favour; both are caught here instead.

/** Thrown at synth time when a CI trust input or the trust policy built from it is unsafe or broken. */
export class TrustGuardrailError extends Error {
  override readonly name = "TrustGuardrailError";
  constructor(
    /** The input value that was refused, quoted in the message. */
    readonly offendingValue: string,
    message: string,
  ) {
    super(message);
  }
}

/** How many repositories one role may trust before `allowBroad` must be set explicitly. */
export const MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD = 5;

/** The condition block of a web-identity trust statement, as IAM sees it (a type alias, so it is indexable). */
export type TrustConditions = {
  readonly StringEquals?: Readonly<Record<string, readonly string[]>>;
  readonly StringLike?: Readonly<Record<string, readonly string[]>>;
};

const WILDCARD = /[*?]/;

export function hasWildcard(value: string): boolean {
  return WILDCARD.test(value);
}

/** Owners and repository names are matched literally: one trusted pattern must never cover a stranger's repo. */
export function refuseWildcardInRepository(input: string, segment: string, inputName: string): void {
  if (hasWildcard(segment)) {
    throw new TrustGuardrailError(
      input,
      `${inputName} '${input}' contains a wildcard ('*' or '?') in the owner or repository name; ` +
        "anyone who creates a matching repository could assume the role. " +
        `List each repository explicitly, e.g. ${inputName}=my-org/app,my-org/infra.`,
    );
  }
}

export function refuseTooManyRepositories(repositories: readonly string[], allowBroad: boolean): void {
  if (repositories.length > MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD && !allowBroad) {
    throw new TrustGuardrailError(
      repositories.join(","),
      `githubRepo lists ${repositories.length} repositories (more than ${MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD}); ` +
        "every one of them can invoke the signer with all its tokens. " +
        "Split them across roles, or set allowBroad=true if this is intended.",
    );
  }
}

/**
 * Checks the finished condition block: the audience must be pinned with StringEquals, and StringEquals must
 * not carry wildcard characters, because StringEquals compares them literally and would never match.
 */
export function assertTrustConditions(conditions: TrustConditions, issuer: string): void {
  const audienceKey = `${issuer}:aud`;
  const audiences = conditions.StringEquals?.[audienceKey] ?? [];
  if (audiences.length === 0 || audiences.some((audience) => audience.trim() === "")) {
    throw new TrustGuardrailError(
      audiences.join(",") || "(none)",
      `the trust policy for ${issuer} has no audience condition (${audienceKey}); without it, tokens minted ` +
        "for any other relying party would be accepted. Set the audience (sts.amazonaws.com for GitHub, " +
        "the organization id for CircleCI).",
    );
  }
  for (const [key, values] of Object.entries(conditions.StringEquals ?? {})) {
    for (const value of values) {
      if (hasWildcard(value)) {
        throw new TrustGuardrailError(
          value,
          `StringEquals on ${key} has the wildcard value '${value}', which IAM compares literally, so the ` +
            "role could never be assumed. Use StringLike for patterns, or remove the wildcard.",
        );
      }
    }
  }
  const subjectKey = `${issuer}:sub`;
  const subjects = [
    ...(conditions.StringEquals?.[subjectKey] ?? []),
    ...(conditions.StringLike?.[subjectKey] ?? []),
  ];
  if (subjects.length === 0) {
    throw new TrustGuardrailError(
      "(none)",
      `the trust policy for ${issuer} has no subject condition (${subjectKey}); every workflow of every ` +
        "user of the provider could assume the role. Name the repository or project it is for.",
    );
  }
}

/** A provider ARN for another issuer would make the conditions' keys never match; say so at synth time. */
export function refuseProviderForAnotherIssuer(providerArn: string, issuer: string, inputName: string): void {
  if (Token.isUnresolved(providerArn)) return;
  if (
    !/^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\//.test(providerArn) ||
    !providerArn.endsWith(`:oidc-provider/${issuer}`)
  ) {
    throw new TrustGuardrailError(
      providerArn,
      `${inputName} '${providerArn}' is not the IAM OIDC provider for ${issuer}; expected ` +
        `arn:aws:iam::ACCOUNT:oidc-provider/${issuer} (see \`aws iam list-open-id-connect-providers\`).`,
    );
  }
}
