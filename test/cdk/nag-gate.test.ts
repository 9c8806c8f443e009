import { aws_iam as iam } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../cdk/app/build-app";

describe("the app's cdk-nag gate", () => {
  // One app: synthesizing it twice would only repeat the bundling.
  const { app, stack } = buildApp({ builtinCloudFormationValidation: false });

  it("fails synth on a finding nobody acknowledged", () => {
    // An AWS-managed policy on a new role: AwsSolutions-IAM4, with no acknowledgement.
    new iam.Role(stack, "UnreviewedRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
    });
    let message = "";
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/ReadOnlyAccess\]/,
    );
    expect(message).toContain("SsmSignProxy/UnreviewedRole/Resource");
    // Only the planted finding: everything the stack itself deploys is clean or acknowledged.
    expect(message.match(/Acknowledge with/g)).toHaveLength(1);
  });
});
