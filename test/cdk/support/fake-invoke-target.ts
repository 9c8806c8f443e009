import { aws_iam as iam } from "aws-cdk-lib";
import type { IInvokeGrantor } from "../../../cdk/constructs/invoke-grantor";

export const FAKE_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:signer";

/** Stands in for SignProxy where only the grant matters, so trust tests need no function bundle. */
export const fakeInvokeTarget: IInvokeGrantor = {
  grantInvoke: (grantee) =>
    iam.Grant.addToPrincipal({
      grantee,
      actions: ["lambda:InvokeFunction"],
      resourceArns: [FAKE_FUNCTION_ARN],
    }),
};
