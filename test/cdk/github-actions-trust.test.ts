import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import {
  GITHUB_OIDC_ISSUER,
  GitHubActionsTrust,
  type GitHubActionsTrustProps,
} from "../../cdk/trust/github-actions-trust";
import { FAKE_FUNCTION_ARN, fakeInvokeTarget } from "./support/fake-invoke-target";
import { roleTrustedBy } from "./support/role-trust";
import { trustPolicyAllows } from "./support/trust-policy-evaluator";

const EXISTING_PROVIDER = `arn:aws:iam::123456789012:oidc-provider/${GITHUB_OIDC_ISSUER}`;

function trustFor(props: Omit<GitHubActionsTrustProps, "invokeTarget">) {
  const stack = new Stack();
  const construct = new GitHubActionsTrust(stack, "GitHub", { invokeTarget: fakeInvokeTarget, ...props });
  const template = Template.fromStack(stack);
  return { construct, template, ...roleTrustedBy(template, GITHUB_OIDC_ISSUER) };
}

/** A GitHub OIDC token as STS sees it. */
function token(sub: string, aud = "sts.amazonaws.com") {
  return { [`${GITHUB_OIDC_ISSUER}:sub`]: sub, [`${GITHUB_OIDC_ISSUER}:aud`]: aud };
}

describe("GitHubActionsTrust: which jobs may assume the role", () => {
  const branchRole = trustFor({
    repositories: ["my-org/app"],
    ref: "main",
    oidcProviderArn: EXISTING_PROVIDER,
  });
  const allows = (sub: string, aud?: string) =>
    trustPolicyAllows(branchRole.trust, { provider: EXISTING_PROVIDER, claims: token(sub, aud) });

  it.each([
    ["the trusted branch", true, "repo:my-org/app:ref:refs/heads/main", undefined],
    ["another branch", false, "repo:my-org/app:ref:refs/heads/feature", undefined],
    [
      "a branch whose name extends the trusted one",
      false,
      "repo:my-org/app:ref:refs/heads/main-evil",
      undefined,
    ],
    ["another repository of the owner", false, "repo:my-org/infra:ref:refs/heads/main", undefined],
    ["a look-alike repository name", false, "repo:my-org/app-fork:ref:refs/heads/main", undefined],
    ["a look-alike owner", false, "repo:my-org-evil/app:ref:refs/heads/main", undefined],
    ["the same name in other case", false, "repo:My-Org/App:ref:refs/heads/main", undefined],
    ["a pull_request job of the repository", false, "repo:my-org/app:pull_request", undefined],
    ["an environment job of the repository", false, "repo:my-org/app:environment:production", undefined],
    [
      "a token minted for another audience",
      false,
      "repo:my-org/app:ref:refs/heads/main",
      "https://github.com/my-org",
    ],
  ])("%s: allowed=%s", (_case, expected, sub, aud) => {
    expect(allows(sub, aud)).toBe(expected);
  });

  it("refuses a token vouched for by another identity provider", () => {
    const otherProvider = "arn:aws:iam::123456789012:oidc-provider/example.com";
    expect(
      trustPolicyAllows(branchRole.trust, {
        provider: otherProvider,
        claims: token("repo:my-org/app:ref:refs/heads/main"),
      }),
    ).toBe(false);
  });

  it("pins the audience with StringEquals and the subject with StringLike", () => {
    expect(branchRole.trust.Statement).toEqual([
      {
        Action: "sts:AssumeRoleWithWebIdentity",
        Effect: "Allow",
        Principal: { Federated: EXISTING_PROVIDER },
        Condition: {
          StringEquals: { [`${GITHUB_OIDC_ISSUER}:aud`]: ["sts.amazonaws.com"] },
          StringLike: { [`${GITHUB_OIDC_ISSUER}:sub`]: ["repo:my-org/app:ref:refs/heads/main"] },
        },
      },
    ]);
  });

  it("may only invoke the function", () => {
    expect(branchRole.permissions).toEqual([
      { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: FAKE_FUNCTION_ARN },
    ]);
  });

  it("reuses an existing provider instead of creating a second one for the same URL", () => {
    branchRole.template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
  });
});

describe("GitHubActionsTrust: inputs", () => {
  it("creates the provider for token.actions.githubusercontent.com when none is given", () => {
    const { template, construct } = trustFor({ repositories: ["my-org/app"] });
    template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: `https://${GITHUB_OIDC_ISSUER}`,
      ClientIdList: ["sts.amazonaws.com"],
    });
    const providerRef = construct.oidcProviderArn;
    expect(providerRef).not.toEqual(EXISTING_PROVIDER);
  });

  it("defaults to the main branch when neither ref nor environment is given", () => {
    const { construct } = trustFor({ repositories: ["my-org/app"], oidcProviderArn: EXISTING_PROVIDER });
    expect(construct.subjectPatterns).toEqual(["repo:my-org/app:ref:refs/heads/main"]);
  });

  it("keeps full refs and allows patterns in the ref", () => {
    const { construct } = trustFor({
      repositories: ["my-org/app"],
      ref: "refs/tags/v*",
      oidcProviderArn: EXISTING_PROVIDER,
    });
    expect(construct.subjectPatterns).toEqual(["repo:my-org/app:ref:refs/tags/v*"]);
  });

  it("matches jobs by environment when one is given, and nothing else", () => {
    const role = trustFor({
      repositories: ["my-org/app"],
      environment: "production",
      oidcProviderArn: EXISTING_PROVIDER,
    });
    const allows = (sub: string) =>
      trustPolicyAllows(role.trust, { provider: EXISTING_PROVIDER, claims: token(sub) });
    expect(allows("repo:my-org/app:environment:production")).toBe(true);
    expect(allows("repo:my-org/app:environment:staging")).toBe(false);
    expect(allows("repo:my-org/app:ref:refs/heads/main")).toBe(false);
  });

  it("ORs several repositories, each exactly", () => {
    const role = trustFor({
      repositories: ["my-org/app", "my-org/infra"],
      oidcProviderArn: EXISTING_PROVIDER,
    });
    const allows = (sub: string) =>
      trustPolicyAllows(role.trust, { provider: EXISTING_PROVIDER, claims: token(sub) });
    expect(allows("repo:my-org/app:ref:refs/heads/main")).toBe(true);
    expect(allows("repo:my-org/infra:ref:refs/heads/main")).toBe(true);
    expect(allows("repo:my-org/web:ref:refs/heads/main")).toBe(false);
  });

  it("with ids, accepts both the classic and the immutable id-bearing subject, but not other ids", () => {
    const role = trustFor({ repositories: ["my-org@1001/app@2002"], oidcProviderArn: EXISTING_PROVIDER });
    expect(role.trust.Statement).toHaveLength(1);
    const allows = (sub: string) =>
      trustPolicyAllows(role.trust, { provider: EXISTING_PROVIDER, claims: token(sub) });
    expect(allows("repo:my-org/app:ref:refs/heads/main")).toBe(true);
    expect(allows("repo:my-org@1001/app@2002:ref:refs/heads/main")).toBe(true);
    // A repository re-created under the same name gets a new id.
    expect(allows("repo:my-org@1001/app@9999:ref:refs/heads/main")).toBe(false);
    expect(allows("repo:my-org@1001/app@2002:pull_request")).toBe(false);
  });

  it("honours a custom audience", () => {
    const role = trustFor({
      repositories: ["my-org/app"],
      audience: "my-audience",
      oidcProviderArn: EXISTING_PROVIDER,
    });
    const sub = "repo:my-org/app:ref:refs/heads/main";
    expect(
      trustPolicyAllows(role.trust, { provider: EXISTING_PROVIDER, claims: token(sub, "my-audience") }),
    ).toBe(true);
    expect(trustPolicyAllows(role.trust, { provider: EXISTING_PROVIDER, claims: token(sub) })).toBe(false);
  });
});
