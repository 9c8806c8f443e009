import { Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { CircleCiTrust, type CircleCiTrustProps } from "../../cdk/trust/circleci-trust";
import { GitHubActionsTrust, type GitHubActionsTrustProps } from "../../cdk/trust/github-actions-trust";
import {
  assertTrustConditions,
  MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD,
  type TrustConditions,
  TrustGuardrailError,
} from "../../cdk/trust/trust-guardrails";
import { fakeInvokeTarget } from "./support/fake-invoke-target";

function gitHub(props: Omit<GitHubActionsTrustProps, "invokeTarget">): () => void {
  return () => new GitHubActionsTrust(new Stack(), "GitHub", { invokeTarget: fakeInvokeTarget, ...props });
}

function circleCi(props: Omit<CircleCiTrustProps, "invokeTarget">): () => void {
  return () => new CircleCiTrust(new Stack(), "CircleCi", { invokeTarget: fakeInvokeTarget, ...props });
}

const ORG = "0a1b2c3d-0000-4000-8000-000000000001";
const PROJECT = "0a1b2c3d-0000-4000-8000-000000000002";
const manyRepositories = Array.from(
  { length: MAX_REPOSITORIES_WITHOUT_ALLOW_BROAD + 1 },
  (_, i) => `my-org/repo${i}`,
);

/** Each refusal must name the offending value and say what to do instead. */
const refusals: [string, () => void, string, RegExp][] = [
  ["a bare wildcard", gitHub({ repositories: ["*"] }), "*", /List each repository explicitly/],
  [
    "a wildcard repository",
    gitHub({ repositories: ["my-org/*"] }),
    "my-org/*",
    /List each repository explicitly/,
  ],
  ["a wildcard suffix", gitHub({ repositories: ["my-org/repo-*"] }), "my-org/repo-*", /List each repository/],
  ["a wildcard owner", gitHub({ repositories: ["*/app"] }), "*/app", /List each repository/],
  [
    "a single-character wildcard",
    gitHub({ repositories: ["my-org/ap?"] }),
    "my-org/ap?",
    /List each repository/,
  ],
  ["a name without owner", gitHub({ repositories: ["app"] }), "app", /my-org\/my-repo/],
  [
    "an id on one side only",
    gitHub({ repositories: ["my-org@1/app"] }),
    "my-org@1/app",
    /give both numeric ids/,
  ],
  [
    "too many repositories",
    gitHub({ repositories: manyRepositories }),
    manyRepositories.join(","),
    /set allowBroad=true/,
  ],
  [
    "an empty audience",
    gitHub({ repositories: ["my-org/app"], audience: "" }),
    "(none)",
    /no audience condition/,
  ],
  [
    "ref and environment together",
    gitHub({ repositories: ["my-org/app"], ref: "main", environment: "prod" }),
    "main + prod",
    /Give one of them/,
  ],
  [
    "a provider for another issuer",
    gitHub({
      repositories: ["my-org/app"],
      oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com",
    }),
    "arn:aws:iam::123456789012:oidc-provider/example.com",
    /list-open-id-connect-providers/,
  ],
  ["no repositories", gitHub({ repositories: [] }), "(none)", /at least one repository/],
  [
    "a non-UUID CircleCI org",
    circleCi({ organizationId: "my-org", projectId: PROJECT }),
    "my-org",
    /Organization Settings/,
  ],
  ["a non-UUID CircleCI project", circleCi({ organizationId: ORG, projectId: "*" }), "*", /Project Settings/],
  [
    "a wildcard CircleCI user",
    circleCi({ organizationId: ORG, projectId: PROJECT, userIds: ["*"] }),
    "*",
    /not a CircleCI id/,
  ],
];

describe("trust guardrails refuse at synth time", () => {
  it.each(refusals)("%s", (_case, build, offendingValue, advice) => {
    let thrown: unknown;
    try {
      build();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TrustGuardrailError);
    const error = thrown as TrustGuardrailError;
    expect(error.offendingValue).toBe(offendingValue);
    expect(error.message).toMatch(advice);
  });

  it("accepts the broad list once allowBroad is set", () => {
    expect(gitHub({ repositories: manyRepositories, allowBroad: true })).not.toThrow();
  });
});

describe("assertTrustConditions", () => {
  const issuer = "token.actions.githubusercontent.com";
  const cases: [string, TrustConditions, RegExp | undefined][] = [
    [
      "a pinned audience and a subject pattern",
      {
        StringEquals: { [`${issuer}:aud`]: ["sts.amazonaws.com"] },
        StringLike: { [`${issuer}:sub`]: ["repo:o/r:*"] },
      },
      undefined,
    ],
    [
      "a missing audience",
      { StringLike: { [`${issuer}:sub`]: ["repo:o/r:ref:refs/heads/main"] } },
      /no audience condition/,
    ],
    [
      "an audience given only as a pattern",
      { StringLike: { [`${issuer}:aud`]: ["sts.amazonaws.com"], [`${issuer}:sub`]: ["repo:o/r:*"] } },
      /no audience condition/,
    ],
    [
      "StringEquals with a wildcard (never matches)",
      { StringEquals: { [`${issuer}:aud`]: ["sts.amazonaws.com"], [`${issuer}:sub`]: ["repo:o/r:*"] } },
      /compares literally/,
    ],
    [
      "a missing subject",
      { StringEquals: { [`${issuer}:aud`]: ["sts.amazonaws.com"] } },
      /no subject condition/,
    ],
  ];
  it.each(cases)("%s", (_case, conditions, refusal) => {
    const check = () => assertTrustConditions(conditions, issuer);
    if (refusal === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(refusal);
  });
});
