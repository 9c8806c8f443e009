import type { Template } from "aws-cdk-lib/assertions";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface RoleDocuments {
  readonly trust: { Statement: Json[] };
  readonly permissions: { [key: string]: Json }[];
}

/** The trust policy of the only role whose trust mentions `issuer`, and every statement attached to it. */
export function roleTrustedBy(template: Template, issuer: string): RoleDocuments {
  const roles = Object.entries(template.findResources("AWS::IAM::Role")).filter(([, role]) =>
    JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes(issuer),
  );
  if (roles.length !== 1) throw new Error(`expected one role trusting ${issuer}, found ${roles.length}`);
  const [[logicalId, role]] = roles as [
    [string, { Properties: { AssumeRolePolicyDocument: { Statement: Json[] } } }],
  ];
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${logicalId}"`),
  );
  return {
    trust: role.Properties.AssumeRolePolicyDocument,
    permissions: policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement),
  };
}
