import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { GITHUB_OIDC_ISSUER } from "../../cdk/trust/github-actions-trust";
import { describeCombinationChecks } from "./support/combination-checks";
import { roleTrustedBy } from "./support/role-trust";
import { synthesize } from "./support/synth";
import { TESTED_STANDALONE } from "./support/tested-bundles";
import { trustPolicyAllows } from "./support/trust-policy-evaluator";

const CIRCLECI_ORG = "0a1b2c3d-0000-4000-8000-000000000001";
const CIRCLECI_PROJECT = "0a1b2c3d-0000-4000-8000-000000000002";
const CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa";

// One synthesis per combination, shared by every assertion below.
const everything = synthesize({
  alb: "true",
  hostRole: "true",
  daemonTag: "ssm-sign-proxy=enabled",
  githubRepo: "my-org/app",
  githubRef: "main",
  circleciOrgId: CIRCLECI_ORG,
  circleciProjectId: CIRCLECI_PROJECT,
});
const existingVpcHttps = synthesize({
  alb: "true",
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
  albPeers: "10.1.0.0/16,10.2.0.0/16",
  certificateArn: CERTIFICATE,
  // The other CI variants ride along, so cdk-nag and cfn-lint see every documented key.
  githubRepo: "my-org@1001/app@2002",
  githubEnvironment: "production",
  githubOidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/${GITHUB_OIDC_ISSUER}`,
  circleciOrgId: CIRCLECI_ORG,
  circleciProjectId: CIRCLECI_PROJECT,
  circleciUserIds: "0a1b2c3d-0000-4000-8000-000000000003,0a1b2c3d-0000-4000-8000-000000000004",
  circleciOidcProviderArn: `arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/${CIRCLECI_ORG}`,
});
const daemonOnly = synthesize({ daemonTag: "Role=web", daemonAddress: "127.0.0.1:9000" });

const logicalId = (template: typeof everything.template, type: string): string => {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
};

describe("alb=true (new VPC)", () => {
  const { template } = everything;
  const functionId = logicalId(template, "AWS::Lambda::Function");
  const vpcId = logicalId(template, "AWS::EC2::VPC");

  it("is an internal application load balancer that drops invalid headers", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internal",
      Type: "application",
      LoadBalancerAttributes: Match.arrayWith([
        { Key: "routing.http.drop_invalid_header_fields.enabled", Value: "true" },
      ]),
    });
  });

  it("forwards to a lambda target group with multi-value headers and no health checks", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      TargetType: "lambda",
      HealthCheckEnabled: false,
      TargetGroupAttributes: [{ Key: "lambda.multi_value_headers.enabled", Value: "true" }],
      Targets: [{ Id: { "Fn::GetAtt": [functionId, "Arn"] } }],
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "elasticloadbalancing.amazonaws.com",
    });
  });

  it("listens on HTTP port 80, reachable from the VPC's CIDR only", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", { Port: 80, Protocol: "HTTP" });
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      SecurityGroupIngress: [
        {
          CidrIp: { "Fn::GetAtt": [vpcId, "CidrBlock"] },
          FromPort: 80,
          ToPort: 80,
          IpProtocol: "tcp",
          Description: Match.anyValue(),
        },
      ],
    });
  });

  it("opens nothing to the internet", () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain("0.0.0.0/0");
    expect(text).not.toContain("::/0");
  });

  it("builds a small VPC without NAT", () => {
    template.resourceCountIs("AWS::EC2::NatGateway", 0);
    template.resourceCountIs("AWS::EC2::InternetGateway", 0);
    template.resourceCountIs("AWS::EC2::Subnet", 2);
  });

  it("outputs the ALB DNS name", () => {
    expect(template.findOutputs("AlbDnsName").AlbDnsName?.Value).toEqual({
      "Fn::GetAtt": [logicalId(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"), "DNSName"],
    });
  });
});

describe("alb=true with vpcId, subnetIds, albPeers and certificateArn", () => {
  const { template } = existingVpcHttps;

  it("serves HTTPS with the certificate and a TLS 1.2+ policy", () => {
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: CERTIFICATE }],
      SslPolicy: Match.stringLikeRegexp("TLS13"),
    });
  });

  it("uses the given VPC and subnets instead of creating any", () => {
    template.resourceCountIs("AWS::EC2::VPC", 0);
    template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internal",
      Subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    });
  });

  it("admits exactly the given peers on 443", () => {
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      VpcId: "vpc-0123456789abcdef0",
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: "10.1.0.0/16", FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: "10.2.0.0/16", FromPort: 443, ToPort: 443 }),
      ],
    });
  });
});

describe("CI variants with existing providers", () => {
  const { template } = existingVpcHttps;

  it("reuses both providers and accepts the id-bearing GitHub subject for the environment", () => {
    template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    const github = roleTrustedBy(template, GITHUB_OIDC_ISSUER);
    const provider = `arn:aws:iam::123456789012:oidc-provider/${GITHUB_OIDC_ISSUER}`;
    const claims = (sub: string) => ({
      [`${GITHUB_OIDC_ISSUER}:sub`]: sub,
      [`${GITHUB_OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
    });
    for (const sub of [
      "repo:my-org/app:environment:production",
      "repo:my-org@1001/app@2002:environment:production",
    ]) {
      expect(trustPolicyAllows(github.trust, { provider, claims: claims(sub) }), sub).toBe(true);
    }
    expect(
      trustPolicyAllows(github.trust, { provider, claims: claims("repo:my-org/app:ref:refs/heads/main") }),
    ).toBe(false);
  });
});

describe("hostRole=true and daemonTag", () => {
  const { template } = everything;
  const functionId = logicalId(template, "AWS::Lambda::Function");
  const [hostRoleId] = Object.keys(
    template.findResources("AWS::IAM::Role", {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "ec2.amazonaws.com" } }] },
      },
    }),
  );
  const association = Object.values(template.findResources("AWS::SSM::Association"))[0]?.Properties;
  const daemonKey = association?.Parameters.DaemonFileName[0] as string;

  it("gives hosts an instance profile whose role is a managed instance", () => {
    template.hasResourceProperties("AWS::IAM::InstanceProfile", { Roles: [{ Ref: hostRoleId }] });
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "ec2.amazonaws.com" } }] },
      ManagedPolicyArns: [
        {
          "Fn::Join": [
            "",
            ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/AmazonSSMManagedInstanceCore"],
          ],
        },
      ],
    });
  });

  it("lets hosts invoke the function and download the daemon bundle, and nothing else", () => {
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: hostRoleId }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: { "Fn::GetAtt": [functionId, "Arn"] } },
      {
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":s3:::",
              { "Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}" },
              `/${daemonKey}`,
            ],
          ],
        },
      },
    ]);
  });

  it("targets instances carrying the tag, with the function and the bundle's checksum", () => {
    expect(association).toMatchObject({
      Targets: [{ Key: "tag:ssm-sign-proxy", Values: ["enabled"] }],
      Parameters: {
        FunctionName: [{ Ref: functionId }],
        Address: ["127.0.0.1:8000"],
        Region: [{ Ref: "AWS::Region" }],
        DaemonSha256: [createHash("sha256").update(readFileSync(TESTED_STANDALONE)).digest("hex")],
      },
    });
    expect(daemonKey).toMatch(/^[0-9a-f]{64}\.mjs$/);
  });

  it("installs Node if missing, verifies the download and runs a hardened, always-restarted systemd service", () => {
    const document = Object.values(template.findResources("AWS::SSM::Document"))[0]?.Properties;
    expect(document.DocumentType).toBe("Command");
    const [download, install] = document.Content.mainSteps;
    expect(download).toMatchObject({ action: "aws:downloadContent", inputs: { sourceType: "S3" } });
    expect(install.action).toBe("aws:runShellScript");
    const script = (install.inputs.runCommand as string[]).join("\n");
    for (const line of [
      "dnf install -y nodejs22",
      "sha256sum --check --quiet -",
      "Restart=always",
      "DynamicUser=yes",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "--function-name {{ FunctionName }} --address {{ Address }}",
      "Environment=AWS_REGION={{ Region }}",
      "systemctl enable ssm-sign-proxy.service",
    ]) {
      expect(script).toContain(line);
    }
    // Every parameter substituted into the script is constrained, so none can inject shell syntax.
    for (const parameter of Object.values(document.Content.parameters) as { allowedPattern?: string }[]) {
      expect(parameter.allowedPattern).toMatch(/^\^.*\$$/);
    }
  });

  it("outputs the command the service runs", () => {
    const command = JSON.stringify(
      template.findOutputs("InstalledDaemonCommand").InstalledDaemonCommand?.Value,
    );
    expect(command).toContain("node /opt/ssm-sign-proxy/ssm-sign-proxy.mjs --function-name ");
  });

  it("implies the host role when only daemonTag is given, and passes the chosen address", () => {
    daemonOnly.template.resourceCountIs("AWS::IAM::InstanceProfile", 1);
    daemonOnly.template.hasResourceProperties("AWS::SSM::Association", {
      Targets: [{ Key: "tag:Role", Values: ["web"] }],
      Parameters: Match.objectLike({ Address: ["127.0.0.1:9000"] }),
    });
  });
});

describe("CI roles in the full stack", () => {
  const { template } = everything;
  const functionId = logicalId(template, "AWS::Lambda::Function");

  it("trusts the created GitHub provider for the branch, and may only invoke the function", () => {
    const github = roleTrustedBy(template, GITHUB_OIDC_ISSUER);
    const providerId = Object.keys(
      template.findResources("AWS::IAM::OIDCProvider", {
        Properties: { Url: `https://${GITHUB_OIDC_ISSUER}` },
      }),
    )[0];
    if (providerId === undefined) throw new Error("no GitHub OIDC provider in the template");
    const provider = { Ref: providerId };
    const claims = (sub: string) => ({
      [`${GITHUB_OIDC_ISSUER}:sub`]: sub,
      [`${GITHUB_OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
    });
    expect(
      trustPolicyAllows(github.trust, { provider, claims: claims("repo:my-org/app:ref:refs/heads/main") }),
    ).toBe(true);
    expect(
      trustPolicyAllows(github.trust, { provider, claims: claims("repo:my-org/app:pull_request") }),
    ).toBe(false);
    expect(github.permissions).toEqual([
      { Effect: "Allow", Action: "lambda:InvokeFunction", Resource: { "Fn::GetAtt": [functionId, "Arn"] } },
    ]);
  });

  it("outputs each role ARN and the daemon line for CI with --role-arn", () => {
    const outputs = template.findOutputs("*");
    for (const name of ["GitHubActions", "CircleCi"]) {
      const roleArn = outputs[`${name}RoleArn`]?.Value as { "Fn::GetAtt": [string, string] } | undefined;
      const roleId = roleArn?.["Fn::GetAtt"][0];
      expect(JSON.stringify(outputs[`${name}DaemonCommand`]?.Value)).toContain(
        `" --address 127.0.0.1:8000 --role-arn ",{"Fn::GetAtt":["${roleId}","Arn"]}`,
      );
    }
  });
});

describeCombinationChecks({ everything, existingVpcHttps, daemonOnly });
