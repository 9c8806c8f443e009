import { Aws, Fn } from "aws-cdk-lib";

export const DEFAULT_DAEMON_ADDRESS = "127.0.0.1:8000";

export interface DaemonCommandOptions {
  readonly functionName: string;
  readonly address?: string;
  /** For CI: the role the daemon assumes with the job's OIDC token. */
  readonly roleArn?: string;
  /** Also sign https:// URLs: CONNECT with TLS interception (see docs/clients.md). */
  readonly intercept?: boolean;
  /** Where the standalone bundle sits on the machine that runs it. */
  readonly scriptPath?: string;
}

/**
 * The exact command line that runs the daemon against this deployment. The SDK does not read the region
 * from instance metadata, so it is set explicitly. Tokens are allowed in every option.
 */
export function daemonCommandLine(options: DaemonCommandOptions): string {
  const parts = [
    "AWS_REGION=",
    Aws.REGION,
    ` node ${options.scriptPath ?? "ssm-sign-proxy.mjs"} --function-name `,
    options.functionName,
    ` --address ${options.address ?? DEFAULT_DAEMON_ADDRESS}`,
  ];
  if (options.roleArn !== undefined) parts.push(" --role-arn ", options.roleArn);
  if (options.intercept) parts.push(" --intercept");
  return Fn.join("", parts);
}
