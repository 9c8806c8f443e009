import { describe, expect, it } from "vitest";
import { ContextError, readStackConfig } from "../../cdk/app/context";

const read = (context: Record<string, unknown>) => readStackConfig({ tryGetContext: (key) => context[key] });

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    read(context);
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  return [];
}

describe("readStackConfig", () => {
  it("defaults to a created KMS key and nothing optional", () => {
    expect(read({})).toEqual({
      kmsKey: { kind: "create" },
      hostRole: false,
      allowBroad: false,
      prefix: undefined,
      functionName: undefined,
      alb: undefined,
      daemonTag: undefined,
      daemonAddress: undefined,
      daemonIntercept: false,
      github: undefined,
      circleci: undefined,
    });
  });

  it("reads every documented key", () => {
    const config = read({
      prefix: "/prod/",
      functionName: "signer",
      kmsKey: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      alb: "true",
      vpcId: "vpc-0123456789abcdef0",
      subnetIds: "subnet-0123456789abcdef0, subnet-0123456789abcdef1",
      vpcCidr: "10.0.0.0/16",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
      hostRole: true,
      daemonTag: "ssm-sign-proxy=enabled",
      daemonAddress: "127.0.0.1:9000",
      daemonIntercept: "true",
      githubRepo: "my-org/app,my-org/infra",
      githubEnvironment: "production",
      circleciOrgId: "0a1b2c3d-0000-4000-8000-000000000001",
      circleciProjectId: "0a1b2c3d-0000-4000-8000-000000000002",
      circleciUserIds: "0a1b2c3d-0000-4000-8000-000000000003",
      allowBroad: "false",
    });
    expect(config).toMatchObject({
      prefix: "/prod/",
      kmsKey: { kind: "arn" },
      alb: {
        existingVpc: {
          vpcId: "vpc-0123456789abcdef0",
          subnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
          vpcCidr: "10.0.0.0/16",
        },
      },
      hostRole: true,
      daemonTag: { key: "ssm-sign-proxy", value: "enabled" },
      daemonIntercept: true,
      github: { repositories: ["my-org/app", "my-org/infra"], environment: "production" },
      circleci: { userIds: ["0a1b2c3d-0000-4000-8000-000000000003"] },
    });
  });

  it.each([
    ["kmsKey=alias", { kmsKey: "alias/aws/ssm" }, /kmsKey='alias\/aws\/ssm'/],
    ["a non-boolean flag", { alb: "yes" }, /alb='yes' must be true or false/],
    ["ALB options without alb", { vpcId: "vpc-0123456789abcdef0" }, /only apply with alb=true/],
    ["an open ALB", { alb: "true", albPeers: "0.0.0.0/0" }, /would let anyone sign/],
    [
      "vpcId without subnets",
      { alb: "true", vpcId: "vpc-0123456789abcdef0", vpcCidr: "10.0.0.0/16" },
      /subnetIds=/,
    ],
    [
      "vpcId without CIDR or peers",
      {
        alb: "true",
        vpcId: "vpc-0123456789abcdef0",
        subnetIds: "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
      },
      /vpcCidr/,
    ],
    ["a tag without value", { daemonTag: "enabled" }, /daemonTag='enabled' is not Key=Value/],
    [
      "a daemon address without daemonTag",
      { daemonAddress: "127.0.0.1:9000" },
      /only applies with daemonTag/,
    ],
    [
      "daemonIntercept without daemonTag",
      { daemonIntercept: "true" },
      /daemonIntercept only applies with daemonTag/,
    ],
    ["githubRef without repo", { githubRef: "main" }, /need githubRepo=/],
    ["half a CircleCI config", { circleciOrgId: "0a1b2c3d-0000-4000-8000-000000000001" }, /needs both/],
    ["a bad function name", { functionName: "my signer" }, /functionName='my signer' is malformed/],
  ])("refuses %s, naming the key and the fix", (_case, context, problem) => {
    expect(problemsOf(context).join("\n")).toMatch(problem);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ alb: "maybe", kmsKey: "nope", daemonTag: "x" })).toHaveLength(3);
  });

  describe("keys that are not ours", () => {
    const withAll = (context: Record<string, unknown>) => {
      try {
        readStackConfig({ tryGetContext: (key) => context[key], getAllContext: () => context });
      } catch (error) {
        if (error instanceof ContextError) return error.problems;
        throw error;
      }
      return [];
    };

    it("refuses a misspelled key, naming the one it most likely meant", () => {
      expect(withAll({ albb: "true" })).toEqual(["unknown context key albb (did you mean alb?)"]);
      expect(withAll({ daemontag: "ssm-sign-proxy=enabled" })).toEqual([
        "unknown context key daemontag (did you mean daemonTag?)",
      ]);
      expect(withAll({ githubRepos: "my-org/app" })).toEqual([
        "unknown context key githubRepos (did you mean githubRepo?)",
      ]);
    });

    it("refuses a key like none of ours, listing ours", () => {
      const [problem] = withAll({ flavour: "vanilla" });
      expect(problem).toMatch(
        /^unknown context key flavour \(the keys are prefix, functionName, .*allowBroad/,
      );
    });

    it("lets CDK's own keys through: feature flags, aws:cdk:*, @-namespaced and the CLI's built-ins", () => {
      expect(
        withAll({
          "@aws-cdk/aws-iam:minimizePolicies": true,
          "aws:cdk:enable-path-metadata": true,
          "@aws-cdk/core.slowSynthThreshold": 10,
          "acknowledged-issue-numbers": [1234],
          "cli-telemetry": false,
          alb: "true",
        }),
      ).toEqual([]);
    });
  });
});
