import type { aws_iam as iam } from "aws-cdk-lib";

/** Anything that can let a principal invoke the signing function (the `SignProxy` construct, for one). */
export interface IInvokeGrantor {
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}
