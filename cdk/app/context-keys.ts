// Every context key the app reads, with the example syntax its error messages quote.

/** Every context key the app understands, with the value syntax shown in error messages. */
export const CONTEXT_KEYS = {
  prefix: "prefix=sign-proxy (or prefix= with hosts=…)",
  functionName: "functionName=ssm-sign-proxy",
  hosts: "hosts=api.github.com,hooks.slack.com",
  kmsKey: "kmsKey=create | aws-managed | arn:aws:kms:REGION:ACCOUNT:key/ID",
  alb: "alb=true",
  vpcId: "vpcId=vpc-0123456789abcdef0 (with subnetIds and vpcCidr or albPeers)",
  subnetIds: "subnetIds=subnet-aaa,subnet-bbb",
  vpcCidr: "vpcCidr=10.0.0.0/16",
  albPeers: "albPeers=10.1.0.0/16,10.2.0.0/16",
  certificateArn: "certificateArn=arn:aws:acm:REGION:ACCOUNT:certificate/ID",
  hostRole: "hostRole=true",
  daemonTag: "daemonTag=ssm-sign-proxy=enabled",
  daemonAddress: "daemonAddress=127.0.0.1:8000",
  daemonIntercept: "daemonIntercept=true",
  githubRepo: "githubRepo=my-org/my-repo[,my-org/other]",
  githubRef: "githubRef=refs/heads/main",
  githubEnvironment: "githubEnvironment=production",
  githubOidcProviderArn:
    "githubOidcProviderArn=arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com",
  circleciOrgId: "circleciOrgId=<organization UUID>",
  circleciProjectId: "circleciProjectId=<project UUID>",
  circleciUserIds: "circleciUserIds=<user UUID>[,<user UUID>]",
  circleciOidcProviderArn:
    "circleciOidcProviderArn=arn:aws:iam::ACCOUNT:oidc-provider/oidc.circleci.com/org/ORG",
  allowBroad: "allowBroad=true",
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;
