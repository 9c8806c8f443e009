import { aws_iam as iam } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { IInvokeGrantor } from "./invoke-grantor";

export interface HostRoleProps {
  /** What hosts may invoke; they get `lambda:InvokeFunction` on it, never the parameters or the key. */
  readonly invokeTarget: IInvokeGrantor;
}

/**
 * An EC2 role and instance profile for hosts that run the daemon: invoke the signer, and be a Systems Manager
 * managed instance so State Manager can install the daemon.
 */
export class HostRole extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: HostRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      description: "Hosts running the ssm-sign-proxy daemon: invoke the signer, SSM managed instance",
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("AmazonSSMManagedInstanceCore")],
    });
    props.invokeTarget.grantInvoke(this.role);
    this.instanceProfile = new iam.InstanceProfile(this, "InstanceProfile", { role: this.role });
  }
}
