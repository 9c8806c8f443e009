import { CfnOutput, aws_ec2 as ec2, Fn, Stack, type StackProps, Token, Validations } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { HostRole } from "../constructs/host-role";
import { InternalAlb } from "../constructs/internal-alb";
import { ParameterKey } from "../constructs/parameter-key";
import { SignProxy } from "../constructs/sign-proxy";
import { DaemonAssociation } from "../daemon/daemon-association";
import { daemonCommandLine } from "../daemon/daemon-command";
import { INSTALL_DIR } from "../daemon/daemon-install-script";
import { CircleCiTrust } from "../trust/circleci-trust";
import { GitHubActionsTrust } from "../trust/github-actions-trust";
import type { KmsKeyChoice, StackConfig } from "./stack-config";

export const DEFAULT_FUNCTION_NAME = "ssm-sign-proxy";

export interface SignProxyStackProps extends StackProps {
  /** What to deploy; see `readStackConfig` for the context keys that fill it. */
  readonly config: StackConfig;
}

function parameterKeyFor(choice: KmsKeyChoice): ParameterKey {
  switch (choice.kind) {
    case "create":
      return ParameterKey.create();
    case "aws-managed":
      return ParameterKey.awsManaged();
    case "arn":
      return ParameterKey.fromKeyArn(choice.arn);
  }
}

/** The deployable app: the signer plus whichever of ALB, host role, daemon association and CI roles are asked for. */
export class SignProxyStack extends Stack {
  readonly signProxy: SignProxy;
  readonly alb?: InternalAlb;
  readonly hostRole?: HostRole;
  readonly daemonAssociation?: DaemonAssociation;
  readonly gitHubActionsTrust?: GitHubActionsTrust;
  readonly circleCiTrust?: CircleCiTrust;

  constructor(scope: Construct, id: string, props: SignProxyStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.signProxy = new SignProxy(this, "SignProxy", {
      prefix: config.prefix,
      hosts: config.hosts,
      // A fixed default name keeps the daemon command line and the CI examples copy-pasteable.
      functionName: config.functionName ?? DEFAULT_FUNCTION_NAME,
      parameterKey: parameterKeyFor(config.kmsKey),
    });
    const functionName = this.signProxy.function.functionName;
    new CfnOutput(this, "FunctionName", { value: functionName, description: "The signing function" });
    new CfnOutput(this, "FunctionArn", { value: this.signProxy.function.functionArn });
    new CfnOutput(this, "InvokePolicyArn", {
      value: this.signProxy.invokePolicy.managedPolicyArn,
      description: "Attach to an existing role to let it invoke the signer (and nothing else)",
    });
    new CfnOutput(this, "ParameterPrefix", { value: `/${this.signProxy.prefix}` });
    new CfnOutput(this, "ParameterKeyId", {
      value: this.signProxy.putParameterKeyId,
      description: "Pass to aws ssm put-parameter --type SecureString --key-id",
    });
    new CfnOutput(this, "DaemonCommand", {
      value: daemonCommandLine({ functionName }),
      description: "Runs the daemon on a host whose role may invoke the signer",
    });

    if (config.alb) this.alb = this.addAlb(config.alb);

    if (config.hostRole || config.daemonTag) {
      this.hostRole = new HostRole(this, "Host", { invokeTarget: this.signProxy });
      new CfnOutput(this, "HostRoleArn", { value: this.hostRole.role.roleArn });
      new CfnOutput(this, "HostInstanceProfileName", {
        value: this.hostRole.instanceProfile.instanceProfileName,
        description: "Attach to EC2 instances that run the daemon",
      });
      Validations.of(this.hostRole.role).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
        reason:
          "AmazonSSMManagedInstanceCore is the AWS-maintained minimum for a Systems Manager managed instance, which the daemon association needs",
      });
    }

    if (config.daemonTag && this.hostRole) {
      this.daemonAssociation = new DaemonAssociation(this, "Daemon", {
        functionName,
        targetTag: config.daemonTag,
        address: config.daemonAddress,
        intercept: config.daemonIntercept,
      });
      this.daemonAssociation.grantDownload(this.hostRole.role);
      new CfnOutput(this, "DaemonAssociationId", {
        value: this.daemonAssociation.association.attrAssociationId,
      });
      new CfnOutput(this, "InstalledDaemonCommand", {
        value: daemonCommandLine({
          functionName,
          address: config.daemonAddress,
          intercept: config.daemonIntercept,
          scriptPath: `${INSTALL_DIR}/ssm-sign-proxy.mjs`,
        }),
        description: `What the association runs as a systemd service on instances tagged ${config.daemonTag.key}=${config.daemonTag.value}`,
      });
    }

    if (config.github) {
      this.gitHubActionsTrust = new GitHubActionsTrust(this, "GitHubActions", {
        invokeTarget: this.signProxy,
        repositories: config.github.repositories,
        ref: config.github.ref,
        environment: config.github.environment,
        oidcProviderArn: config.github.oidcProviderArn,
        allowBroad: config.allowBroad,
      });
      const roleArn = this.gitHubActionsTrust.role.roleArn;
      new CfnOutput(this, "GitHubActionsRoleArn", { value: roleArn });
      new CfnOutput(this, "GitHubActionsDaemonCommand", {
        value: daemonCommandLine({ functionName, roleArn }),
      });
    }

    if (config.circleci) {
      this.circleCiTrust = new CircleCiTrust(this, "CircleCi", {
        invokeTarget: this.signProxy,
        organizationId: config.circleci.organizationId,
        projectId: config.circleci.projectId,
        userIds: config.circleci.userIds,
        oidcProviderArn: config.circleci.oidcProviderArn,
      });
      const roleArn = this.circleCiTrust.role.roleArn;
      new CfnOutput(this, "CircleCiRoleArn", { value: roleArn });
      new CfnOutput(this, "CircleCiDaemonCommand", { value: daemonCommandLine({ functionName, roleArn }) });
    }

    this.acknowledgeFindings();
  }

  private addAlb(albConfig: NonNullable<StackConfig["alb"]>): InternalAlb {
    const existing = albConfig.existingVpc;
    const vpc = existing
      ? ec2.Vpc.fromVpcAttributes(this, "Vpc", {
          vpcId: existing.vpcId,
          vpcCidrBlock: existing.vpcCidr,
          // The ALB is placed by explicit subnet ids below, so the VPC's AZ layout is never consulted;
          // describing it would need a lookup (credentials at synth), so the region's AZs stand in.
          availabilityZones: Fn.getAzs(),
        })
      : new ec2.Vpc(this, "Vpc", {
          maxAzs: 2,
          natGateways: 0,
          subnetConfiguration: [{ name: "Proxy", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
        });
    const alb = new InternalAlb(this, "Alb", {
      vpc,
      function: this.signProxy.function,
      vpcSubnets: existing
        ? {
            subnets: existing.subnetIds.map((subnetId, index) =>
              ec2.Subnet.fromSubnetId(this, `Subnet${index}`, subnetId),
            ),
          }
        : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      certificateArn: albConfig.certificateArn,
      allowedPeers: albConfig.peers?.map((cidr) => ec2.Peer.ipv4(cidr)),
    });
    new CfnOutput(this, "AlbDnsName", {
      value: alb.loadBalancer.loadBalancerDnsName,
      description: "Internal endpoint: send requests with the target host in the Host header",
    });
    Validations.of(alb.loadBalancer).acknowledge({
      id: "AwsSolutions-ELB2",
      reason:
        "Internal ALB with a single Lambda target: every request is already logged by the function to its CloudWatch log group, an access-log bucket would duplicate it",
    });
    if (albConfig.peers === undefined && Token.isUnresolved(vpc.vpcCidrBlock)) {
      Validations.of(alb.securityGroup).acknowledge({
        id: "AwsSolutions-EC23",
        reason:
          "Ingress is the VPC's own CIDR block, a CloudFormation reference cdk-nag cannot resolve; InternalAlb refuses 0.0.0.0/0 and ::/0 at synth",
      });
    }
    if (vpc instanceof ec2.Vpc) {
      Validations.of(vpc).acknowledge({
        id: "AwsSolutions-VPC7",
        reason:
          "The VPC only hosts the internal ALB (no instances, no NAT); its traffic is the function's requests, which the function logs",
      });
    }
    return alb;
  }

  private acknowledgeFindings(): void {
    Validations.of(this.signProxy.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "nodejs22.x is the runtime the function is built and tested for (esbuild target node22); a newer runtime is adopted deliberately after the test suite runs on it, not by a linter",
    });
    for (const folder of this.signProxy.parameterFolders) {
      Validations.of(this.signProxy.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/${folder}/*]`,
        reason:
          this.signProxy.hosts === undefined
            ? "GetParametersByPath on the one parameter hierarchy (parameter/<prefix>/*): the hosts under it are only known at request time, and nothing outside the prefix is reachable"
            : "GetParametersByPath on one listed host's folder (parameter/[<prefix>/]<host>/*): its parameter names are only known at request time, and no other host's folder is reachable",
      });
    }
  }
}
