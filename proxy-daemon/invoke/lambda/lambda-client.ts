/**
 * The Lambda (and STS) clients: default credential chain unless credentials are injected, region from env or
 * profile, keep-alive sockets so each request does not pay a TLS handshake to Lambda.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentityProvider } from "@smithy/types";

export interface AwsClientOptions {
  /** e.g. from `fromWebToken` for GitHub Actions OIDC; default: the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider;
  region?: string;
  /** Attempts per call, including the first (SDK standard retry mode, which backs off on throttling). */
  maxAttempts?: number;
}

function handler(): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    connectionTimeout: 3_000,
  });
}

export function createLambdaClient(options: AwsClientOptions = {}): LambdaClient {
  return new LambdaClient({
    requestHandler: handler(),
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
}

export function createStsClient(options: AwsClientOptions = {}): STSClient {
  return new STSClient({
    maxAttempts: 2,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
}
