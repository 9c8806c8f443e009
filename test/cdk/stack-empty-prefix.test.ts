/**
 * The Go original's naming (`/<host>/…`, no prefix) deployed with least privilege: an empty prefix is accepted
 * only with a host list, and the function's role can then read exactly those hosts' folders.
 */
import { App, Stack } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { ContextError, readStackConfig } from "../../cdk/app/context";
import { ParameterPrefixError } from "../../cdk/constructs/parameter-prefix";
import { SignProxy } from "../../cdk/constructs/sign-proxy";
import { describeCombinationChecks } from "./support/combination-checks";
import { synthesize } from "./support/synth";

const emptyPrefix = synthesize({ prefix: "", hosts: "api.github.com, Hooks.Slack.com.,example.com:8443" });
const narrowed = synthesize({ prefix: "/prod/", hosts: "api.github.com,example.com_8443" });

const parameterArn = (name: string) => ({
  "Fn::Join": [
    "",
    [
      "arn:",
      { Ref: "AWS::Partition" },
      ":ssm:",
      { Ref: "AWS::Region" },
      ":",
      { Ref: "AWS::AccountId" },
      `:parameter/${name}`,
    ],
  ],
});

type Statement = { Sid?: string; Action?: unknown; Resource?: unknown; Condition?: unknown };

function functionRoleStatements(template: typeof emptyPrefix.template): Statement[] {
  const roles = template.findResources("AWS::IAM::Role", {
    Properties: {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] },
    },
  });
  const [roleId] = Object.keys(roles);
  return Object.values(template.findResources("AWS::IAM::Policy"))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function environment(template: typeof emptyPrefix.template): Record<string, string> {
  const [fn] = Object.values(template.findResources("AWS::Lambda::Function"));
  return fn?.Properties.Environment.Variables ?? {};
}

describe("prefix= with hosts=api.github.com,hooks.slack.com,example.com:8443", () => {
  const { template } = emptyPrefix;
  const statements = functionRoleStatements(template);
  const [keyId] = Object.keys(template.findResources("AWS::KMS::Key"));

  it("has exactly three statements: its logs, the listed folders, decrypting under them", () => {
    expect(statements.map((s) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "ReadParameterHierarchy",
      "DecryptParameterHierarchy",
    ]);
    expect(statements[0]?.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
  });

  it("reads each listed host's folder and what is under it, the port written host_port, and nothing else", () => {
    expect(statements[1]).toEqual({
      Sid: "ReadParameterHierarchy",
      Effect: "Allow",
      Action: "ssm:GetParametersByPath",
      // CDK sorts a statement's resources.
      Resource: [
        parameterArn("api.github.com"),
        parameterArn("api.github.com/*"),
        parameterArn("example.com_8443"),
        parameterArn("example.com_8443/*"),
        parameterArn("hooks.slack.com"),
        parameterArn("hooks.slack.com/*"),
      ],
    });
  });

  it("decrypts only parameters under those folders, only through SSM", () => {
    expect(statements[2]).toEqual({
      Sid: "DecryptParameterHierarchy",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: { "Fn::GetAtt": [keyId, "Arn"] },
      Condition: {
        StringLike: {
          "kms:EncryptionContext:PARAMETER_ARN": [
            parameterArn("api.github.com/*"),
            parameterArn("hooks.slack.com/*"),
            parameterArn("example.com_8443/*"),
          ],
        },
        StringEquals: {
          "kms:ViaService": { "Fn::Join": ["", ["ssm.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
        },
      },
    });
  });

  it("never grants a wildcard over the whole parameter tree", () => {
    expect(JSON.stringify(statements)).not.toContain(":parameter/*");
  });

  it("tells the function its host list and no prefix", () => {
    const env = environment(template);
    expect(env.SSM_SIGN_PROXY_HOSTS).toBe("api.github.com,hooks.slack.com,example.com_8443");
    expect(env.SSM_SIGN_PROXY_PREFIX).toBeUndefined();
  });
});

describe("prefix=/prod/ with hosts=api.github.com,example.com_8443", () => {
  const statements = functionRoleStatements(narrowed.template);

  it("narrows the prefix's grant to the listed hosts' folders under it", () => {
    expect(statements[1]?.Resource).toEqual([
      parameterArn("prod/api.github.com"),
      parameterArn("prod/api.github.com/*"),
      parameterArn("prod/example.com_8443"),
      parameterArn("prod/example.com_8443/*"),
    ]);
    expect(JSON.stringify(statements)).not.toContain(":parameter/prod/*");
    const env = environment(narrowed.template);
    expect(env).toMatchObject({
      SSM_SIGN_PROXY_PREFIX: "/prod",
      SSM_SIGN_PROXY_HOSTS: "api.github.com,example.com_8443",
    });
  });
});

function contextProblems(context: Record<string, string>): readonly string[] {
  try {
    readStackConfig({ tryGetContext: (key) => context[key] });
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  return [];
}

function constructError(props: { prefix?: string; hosts?: string[] }): string {
  try {
    new SignProxy(new Stack(new App(), "S"), "SignProxy", props);
  } catch (error) {
    if (error instanceof ParameterPrefixError) return error.message;
    throw error;
  }
  return "";
}

describe("synth refusals", () => {
  it("-c prefix= without hosts fails naming both options", () => {
    const [problem, ...rest] = contextProblems({ prefix: "" });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/every parameter in the account/);
    expect(problem).toContain("prefix=sign-proxy");
    expect(problem).toContain("hosts=api.github.com,hooks.slack.com");
  });

  it("-c prefix=/ is the empty prefix too", () => {
    expect(contextProblems({ prefix: "/" })).toHaveLength(1);
    expect(contextProblems({ prefix: "/", hosts: "api.github.com" })).toEqual([]);
  });

  it("the construct's prefix: '' without hosts fails naming both options", () => {
    const message = constructError({ prefix: "" });
    expect(message).toContain("prefix=sign-proxy");
    expect(message).toContain("hosts=api.github.com,hooks.slack.com");
  });

  it.each([
    ["bad_host.example.com", /not a host name/],
    ["example.com:0", /not a host name/],
    ["example.com:65536", /not a host name/],
    ["example.com:08443", /not a host name/],
    ["user@example.com", /not a host name/],
    ["[::1]:8443", /not a host name/],
  ])("hosts entry %s is refused", (entry, pattern) => {
    expect(constructError({ prefix: "", hosts: [entry] })).toMatch(pattern);
  });

  it("an empty host list is refused", () => {
    expect(constructError({ prefix: "", hosts: [] })).toMatch(/hosts lists nothing/);
    expect(contextProblems({ prefix: "", hosts: " , " })).toEqual(
      expect.arrayContaining([expect.stringMatching(/hosts lists nothing/)]),
    );
  });

  it("with an empty prefix, hosts Parameter Store cannot name (aws…, ssm…) are refused", () => {
    expect(constructError({ prefix: "", hosts: ["ssm.example.com"] })).toMatch(/reserves names/);
    expect(constructError({ prefix: "tokens", hosts: ["ssm.example.com"] })).toBe("");
  });
});

describeCombinationChecks({ emptyPrefix, narrowed });
