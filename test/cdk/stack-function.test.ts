import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { describeCombinationChecks } from "./support/combination-checks";
import { synthesize } from "./support/synth";

// One synthesis per context combination, shared by every assertion (each one bundles the function).
const defaults = synthesize();
const awsManagedKey = synthesize({ kmsKey: "aws-managed" });
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const existingKey = synthesize({ kmsKey: KEY_ARN, prefix: "/prod/tokens/", functionName: "prod-signer" });

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

type Statement = Record<string, unknown>;

function functionRoleStatements(template: typeof defaults.template): Statement[] {
  const roles = template.findResources("AWS::IAM::Role", {
    Properties: {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] },
    },
  });
  const [roleId] = Object.keys(roles);
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const logStatement = (template: typeof defaults.template) => {
  const [logGroupId] = Object.keys(template.findResources("AWS::Logs::LogGroup"));
  return {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: { "Fn::GetAtt": [logGroupId, "Arn"] },
  };
};

const readStatement = (prefix: string) => ({
  Sid: "ReadParameterHierarchy",
  Effect: "Allow",
  Action: "ssm:GetParametersByPath",
  Resource: [parameterArn(prefix), parameterArn(`${prefix}/*`)],
});

const decryptStatement = (prefix: string, key: unknown) => ({
  Sid: "DecryptParameterHierarchy",
  Effect: "Allow",
  Action: "kms:Decrypt",
  Resource: key,
  Condition: {
    StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameterArn(`${prefix}/*`) },
    StringEquals: {
      "kms:ViaService": { "Fn::Join": ["", ["ssm.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
    },
  },
});

describe("default stack (no context)", () => {
  const { template } = defaults;
  const [keyId] = Object.keys(template.findResources("AWS::KMS::Key"));
  const [functionId] = Object.keys(template.findResources("AWS::Lambda::Function"));

  it("synthesizes in well under the time a user would notice", () => {
    console.info(
      `default stack synthesized in ${Math.round(defaults.synthMillis)} ms (the function is the prebuilt asset, not bundled again)`,
    );
    // Generous: the machine running the suite is shared; a cold synth takes 3-10 s here.
    expect(defaults.synthMillis).toBeLessThan(45_000);
  });

  it("runs the bundled function on nodejs22.x arm64 with the prefix and a deadline under its timeout", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "ssm-sign-proxy",
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 256,
      Timeout: 30,
      Environment: { Variables: { SSM_SIGN_PROXY_PREFIX: "/sign-proxy", SSM_SIGN_PROXY_TIMEOUT: "25" } },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
  });

  it("keeps logs for a month", () => {
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("lets the function write its own logs, read its hierarchy and decrypt with its key, and nothing else", () => {
    expect(functionRoleStatements(template)).toEqual([
      logStatement(template),
      readStatement("sign-proxy"),
      decryptStatement("sign-proxy", { "Fn::GetAtt": [keyId, "Arn"] }),
    ]);
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it("creates a rotating customer-managed key that outlives the stack, under the alias put-parameter uses", () => {
    template.hasResource("AWS::KMS::Key", {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: "Retain",
    });
    template.hasResourceProperties("AWS::KMS::Alias", {
      AliasName: "alias/ssm-sign-proxy",
      TargetKeyId: { "Fn::GetAtt": [keyId, "Arn"] },
    });
  });

  it("offers a managed policy that grants only lambda:InvokeFunction on the function", () => {
    template.resourceCountIs("AWS::IAM::ManagedPolicy", 1);
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      PolicyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: { "Fn::GetAtt": [functionId, "Arn"] },
          },
        ],
      },
    });
  });

  it("outputs the function, the invoke policy, the key id for put-parameter and the daemon command line", () => {
    const outputs = template.findOutputs("*");
    expect(Object.keys(outputs).sort()).toEqual(
      [
        "DaemonCommand",
        "FunctionArn",
        "FunctionName",
        "InvokePolicyArn",
        "ParameterKeyId",
        "ParameterPrefix",
      ].sort(),
    );
    expect(outputs.DaemonCommand?.Value).toEqual({
      "Fn::Join": [
        "",
        [
          "AWS_REGION=",
          { Ref: "AWS::Region" },
          " node ssm-sign-proxy.mjs --function-name ",
          { Ref: functionId },
          " --address 127.0.0.1:8000",
        ],
      ],
    });
    expect(outputs.ParameterKeyId?.Value).toBe("alias/ssm-sign-proxy");
  });

  it("deploys nothing optional", () => {
    for (const type of [
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "AWS::EC2::VPC",
      "AWS::SSM::Association",
      "AWS::IAM::OIDCProvider",
      "AWS::IAM::InstanceProfile",
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs("AWS::IAM::Role", 1);
  });
});

describe("kmsKey=aws-managed", () => {
  const { template } = awsManagedKey;
  it("creates no key and grants no kms:Decrypt (the aws/ssm key policy already lets the account decrypt)", () => {
    template.resourceCountIs("AWS::KMS::Key", 0);
    expect(functionRoleStatements(template)).toEqual([logStatement(template), readStatement("sign-proxy")]);
    expect(template.findOutputs("ParameterKeyId").ParameterKeyId?.Value).toBe("alias/aws/ssm");
  });
});

describe("kmsKey=<ARN>, prefix and functionName", () => {
  const { template } = existingKey;
  it("decrypts with that key only, for parameters under the normalized prefix", () => {
    template.resourceCountIs("AWS::KMS::Key", 0);
    expect(functionRoleStatements(template)).toEqual([
      logStatement(template),
      readStatement("prod/tokens"),
      decryptStatement("prod/tokens", KEY_ARN),
    ]);
  });

  it("names the function and tells it the prefix", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "prod-signer",
      Environment: { Variables: { SSM_SIGN_PROXY_PREFIX: "/prod/tokens" } },
    });
  });
});

describeCombinationChecks({ defaults, awsManagedKey, existingKey });
