import { Duration, aws_iam as iam } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { IInvokeGrantor } from "../constructs/invoke-grantor";
import {
  assertTrustConditions,
  refuseProviderForAnotherIssuer,
  type TrustConditions,
  TrustGuardrailError,
} from "./trust-guardrails";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** CircleCI runs one OIDC issuer per organization. */
export function circleCiIssuer(organizationId: string): string {
  return `oidc.circleci.com/org/${organizationId}`;
}

function refuseNonUuid(value: string, inputName: string, where: string): void {
  if (!UUID.test(value)) {
    throw new TrustGuardrailError(
      value,
      `${inputName} '${value}' is not a CircleCI id (a lowercase UUID); copy it from ${where}.`,
    );
  }
}

export interface CircleCiTrustProps {
  /** What the role may invoke; the role gets `lambda:InvokeFunction` on it and nothing else. */
  readonly invokeTarget: IInvokeGrantor;
  /** The CircleCI organization id (Organization Settings > Overview). It is also the token audience. */
  readonly organizationId: string;
  /** The CircleCI project id (Project Settings > Overview). */
  readonly projectId: string;
  /**
   * CircleCI user ids allowed to run jobs that assume the role (for a production role, the people who
   * may deploy).
   * @default - any user who can run the project's pipelines
   */
  readonly userIds?: readonly string[];
  /**
   * The account's existing IAM OIDC provider for this organization; one may exist per URL per account.
   * @default - a provider for oidc.circleci.com/org/<organizationId> is created
   */
  readonly oidcProviderArn?: string;
}

/** An IAM role that CircleCI jobs of one project (optionally, of certain users) can assume to invoke the signer. */
export class CircleCiTrust extends Construct {
  readonly role: iam.Role;
  readonly oidcProviderArn: string;
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: CircleCiTrustProps) {
    super(scope, id);
    refuseNonUuid(props.organizationId, "circleciOrgId", "Organization Settings > Overview");
    refuseNonUuid(props.projectId, "circleciProjectId", "Project Settings > Overview");
    for (const userId of props.userIds ?? []) {
      refuseNonUuid(userId, "circleciUserIds", "User Settings > Account Integrations of each user");
    }
    this.issuer = circleCiIssuer(props.organizationId);
    const subjectPrefix = `org/${props.organizationId}/project/${props.projectId}/user/`;
    const userIds = props.userIds ?? [];
    // Exact users are compared exactly; only the "any user" case needs a pattern.
    const conditions: TrustConditions =
      userIds.length > 0
        ? {
            StringEquals: {
              [`${this.issuer}:aud`]: [props.organizationId],
              [`${this.issuer}:sub`]: userIds.map((userId) => `${subjectPrefix}${userId}`),
            },
          }
        : {
            StringEquals: { [`${this.issuer}:aud`]: [props.organizationId] },
            StringLike: { [`${this.issuer}:sub`]: [`${subjectPrefix}*`] },
          };
    assertTrustConditions(conditions, this.issuer);

    this.oidcProviderArn =
      props.oidcProviderArn ??
      new iam.OidcProviderNative(this, "Provider", {
        url: `https://${this.issuer}`,
        clientIds: [props.organizationId],
      }).oidcProviderArn;
    refuseProviderForAnotherIssuer(this.oidcProviderArn, this.issuer, "circleciOidcProviderArn");
    this.role = new iam.Role(this, "Role", {
      description: `CircleCI project ${props.projectId} may invoke the ssm-sign-proxy function`,
      assumedBy: new iam.WebIdentityPrincipal(this.oidcProviderArn, conditions),
      maxSessionDuration: Duration.hours(1),
    });
    props.invokeTarget.grantInvoke(this.role);
  }
}
