import {
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_lambda as lambda,
  aws_elasticloadbalancingv2_targets as targets,
} from "aws-cdk-lib";
import { Construct } from "constructs";

/** Thrown at synth time for an ALB configuration that would expose the signer. */
export class InternalAlbError extends Error {
  override readonly name = "InternalAlbError";
}

export interface InternalAlbProps {
  readonly vpc: ec2.IVpc;
  /** The function behind the load balancer. */
  readonly function: lambda.IFunction;
  /**
   * Subnets for the load balancer.
   * @default - the VPC's private subnets (isolated ones when there are no others)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Serve HTTPS with this ACM certificate instead of plain HTTP.
   * @default - an HTTP listener on port 80
   */
  readonly certificateArn?: string;
  /**
   * Who may connect. Never the whole internet: anyone who can reach the listener signs requests with the tokens.
   * @default - the VPC's CIDR block
   */
  readonly allowedPeers?: readonly ec2.IPeer[];
}

/** An internal Application Load Balancer in front of the signing function, reachable only from given networks. */
export class InternalAlb extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly listener: elbv2.ApplicationListener;

  constructor(scope: Construct, id: string, props: InternalAlbProps) {
    super(scope, id);
    const peers = props.allowedPeers ?? [ec2.Peer.ipv4(props.vpc.vpcCidrBlock)];
    for (const peer of peers) {
      if (peer.uniqueId === ec2.Peer.anyIpv4().uniqueId || peer.uniqueId === ec2.Peer.anyIpv6().uniqueId) {
        throw new InternalAlbError(
          `albPeers '${peer.uniqueId}' would let anyone sign requests with your tokens; name the networks of your hosts, e.g. albPeers=10.0.0.0/16.`,
        );
      }
    }
    const https = props.certificateArn !== undefined;
    const port = https ? 443 : 80;

    // The load balancer calls Lambda through the service, not through the network, so it needs no egress.
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: `ssm-sign-proxy internal ALB: port ${port} from allowed networks only`,
      allowAllOutbound: false,
    });
    for (const peer of peers) {
      this.securityGroup.addIngressRule(
        peer,
        ec2.Port.tcp(port),
        `ssm-sign-proxy clients (${peer.uniqueId})`,
      );
    }

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      internetFacing: false,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
    });
    this.targetGroup = new elbv2.ApplicationTargetGroup(this, "Targets", {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new targets.LambdaTarget(props.function)],
      // The function speaks the multi-value ALB event format (repeated headers and query keys survive).
      multiValueHeadersEnabled: true,
      // Health checks would be signed and forwarded like any request; a Lambda target has no host to watch.
      healthCheck: { enabled: false },
    });
    this.listener = this.loadBalancer.addListener(https ? "Https" : "Http", {
      port,
      protocol: https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      certificates: https ? [elbv2.ListenerCertificate.fromArn(props.certificateArn ?? "")] : undefined,
      sslPolicy: https ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      defaultTargetGroups: [this.targetGroup],
      // Ingress is exactly what the security group above says; never the automatic 0.0.0.0/0 rule.
      open: false,
    });
  }
}
