/**
 * Lambda mode start-up: a DryRun Invoke proves the function exists and we may call it, without running it.
 * Permanent failures end the daemon with a message naming the function, who we are (STS GetCallerIdentity)
 * and the permission to grant; transient ones are retried with backoff while the daemon serves 503s.
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";

export type CheckOutcome =
  | { kind: "ok" }
  | { kind: "permanent"; message: string }
  | { kind: "transient"; message: string };

interface ErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const PERMANENT = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "AccessDenied",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "CredentialsProviderError",
  "InvalidParameterValueException",
]);

async function callerIdentity(sts: STSClient): Promise<string> {
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return who.Arn ?? "an unknown identity";
  } catch (err) {
    return `an unknown identity (sts:GetCallerIdentity failed: ${(err as Error).name})`;
  }
}

export async function checkFunction(
  lambda: LambdaClient,
  sts: STSClient,
  functionName: string,
): Promise<CheckOutcome> {
  try {
    await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: "DryRun" }));
    return { kind: "ok" };
  } catch (err) {
    const e = (err ?? {}) as ErrorShape;
    const name = e.name ?? "Error";
    const status = e.$metadata?.httpStatusCode;
    const permanent = PERMANENT.has(name) || status === 403 || status === 404;
    if (!permanent)
      return {
        kind: "transient",
        message: `DryRun invoke of ${functionName} failed: ${name}: ${e.message ?? ""}`.trim(),
      };
    if (name === "CredentialsProviderError") {
      return {
        kind: "permanent",
        message: `cannot invoke Lambda function ${functionName}: no AWS credentials found (${e.message}). Configure credentials (env, profile, instance role or web identity) for an identity with lambda:InvokeFunction on the function, or use --local FILE to run without AWS`,
      };
    }
    const region = await lambda.config.region().catch(() => "unknown region");
    const who = await callerIdentity(sts);
    const cause =
      name === "ResourceNotFoundException" || status === 404 ? "function not found" : "access denied";
    return {
      kind: "permanent",
      message: `cannot invoke Lambda function ${functionName} in ${region} as ${who}: ${cause} (${name}: ${e.message ?? ""}). The caller needs lambda:InvokeFunction on this function; check the function name, region and the role's policy`,
    };
  }
}

/** 1 s, 2 s, 4 s … capped at 30 s, with jitter so a fleet does not retry in step. */
export function backoffMs(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return Math.round(base * (0.5 + Math.random() / 2));
}
