import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { CircleCiTrust, type CircleCiTrustProps, circleCiIssuer } from "../../cdk/trust/circleci-trust";
import { FAKE_FUNCTION_ARN, fakeInvokeTarget } from "./support/fake-invoke-target";
import { roleTrustedBy } from "./support/role-trust";
import { trustPolicyAllows } from "./support/trust-policy-evaluator";

const ORG = "0a1b2c3d-0000-4000-8000-000000000001";
const PROJECT = "0a1b2c3d-0000-4000-8000-000000000002";
const ALICE = "0a1b2c3d-0000-4000-8000-00000000a11c";
const BOB = "0a1b2c3d-0000-4000-8000-000000000b0b";
const MALLORY = "0a1b2c3d-0000-4000-8000-0000000000ff";
const ISSUER = circleCiIssuer(ORG);
const PROVIDER = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;

function trustFor(props: Omit<CircleCiTrustProps, "invokeTarget">) {
  const stack = new Stack();
  new CircleCiTrust(stack, "CircleCi", { invokeTarget: fakeInvokeTarget, ...props });
  const template = Template.fromStack(stack);
  return { template, ...roleTrustedBy(template, ISSUER) };
}

function token(project: string, user: string, aud = ORG) {
  return { [`${ISSUER}:sub`]: `org/${ORG}/project/${project}/user/${user}`, [`${ISSUER}:aud`]: aud };
}

describe("CircleCiTrust", () => {
  const anyUser = trustFor({ organizationId: ORG, projectId: PROJECT, oidcProviderArn: PROVIDER });
  const someUsers = trustFor({
    organizationId: ORG,
    projectId: PROJECT,
    userIds: [ALICE, BOB],
    oidcProviderArn: PROVIDER,
  });

  it.each([
    ["any user of the project", true, "anyUser", token(PROJECT, MALLORY)],
    ["another project", false, "anyUser", token("0a1b2c3d-0000-4000-8000-000000000003", ALICE)],
    ["a token for another audience", false, "anyUser", token(PROJECT, ALICE, "sts.amazonaws.com")],
    ["a listed user", true, "someUsers", token(PROJECT, ALICE)],
    ["the other listed user", true, "someUsers", token(PROJECT, BOB)],
    ["an unlisted user", false, "someUsers", token(PROJECT, MALLORY)],
    [
      "a listed user in another project",
      false,
      "someUsers",
      token("0a1b2c3d-0000-4000-8000-000000000003", ALICE),
    ],
  ])("%s: allowed=%s", (_case, expected, roleName, claims) => {
    const role = roleName === "anyUser" ? anyUser : someUsers;
    expect(trustPolicyAllows(role.trust, { provider: PROVIDER, claims })).toBe(expected);
  });

  it("compares listed users exactly (StringEquals), the any-user case by pattern (StringLike)", () => {
    expect(someUsers.trust.Statement[0]).toMatchObject({
      Condition: {
        StringEquals: {
          [`${ISSUER}:aud`]: [ORG],
          [`${ISSUER}:sub`]: [
            `org/${ORG}/project/${PROJECT}/user/${ALICE}`,
            `org/${ORG}/project/${PROJECT}/user/${BOB}`,
          ],
        },
      },
    });
    expect(anyUser.trust.Statement[0]).toMatchObject({
      Condition: {
        StringEquals: { [`${ISSUER}:aud`]: [ORG] },
        StringLike: { [`${ISSUER}:sub`]: [`org/${ORG}/project/${PROJECT}/user/*`] },
      },
    });
  });

  it("may only invoke the function", () => {
    expect(anyUser.permissions).toEqual([
      { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: FAKE_FUNCTION_ARN },
    ]);
  });

  it("creates the organization's provider, with the org id as client id, when none is given", () => {
    const { template } = trustFor({ organizationId: ORG, projectId: PROJECT });
    template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: `https://${ISSUER}`,
      ClientIdList: [ORG],
    });
    anyUser.template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
  });
});
