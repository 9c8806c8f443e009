/**
 * The one Parameter Store call the function makes, GetParametersByPath, over SSM's JSON protocol (awsJson1.1):
 * POST / with `X-Amz-Target: AmazonSSM.GetParametersByPath`, SigV4-signed.
 * Endpoint, region and credentials resolve as the SDK does for a Lambda function: AWS_ENDPOINT_URL_SSM, then
 * AWS_ENDPOINT_URL, then the regional endpoint; AWS_REGION; the execution role's AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Throttling, 5xx and network errors are retried with jittered
 * exponential backoff, as the SDK's standard retry mode does.
 */

import http from "node:http";
import https from "node:https";
import { serviceEndpoint } from "../aws/endpoints";
import { withRetries } from "../aws/retry";
import { type AwsCredentials, signRequest } from "../aws/sigv4";

export interface GetParametersByPathInput {
  Path: string;
  Recursive: boolean;
  WithDecryption: boolean;
  MaxResults?: number;
  NextToken?: string;
}

export interface GetParametersByPathOutput {
  Parameters?: Array<{ Name?: string; Value?: string; Type?: string }>;
  NextToken?: string;
}

/** An error answered by the service (or the network), with the service's error code when there is one. */
export class SsmApiError extends Error {
  override readonly name = "SsmApiError";
  constructor(
    /** e.g. AccessDeniedException, ThrottlingException, or a network code such as ECONNREFUSED. */
    readonly code: string,
    readonly statusCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface SsmApiClientOptions {
  region?: string;
  endpoint?: string;
  credentials?: () => AwsCredentials;
  maxAttempts?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

function credentialsFromEnv(): AwsCredentials {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = process.env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
    throw new SsmApiError(
      "CredentialsMissing",
      undefined,
      "no AWS credentials in the environment (AWS_ACCESS_KEY_ID)",
    );
  }
  return AWS_SESSION_TOKEN
    ? {
        accessKeyId: AWS_ACCESS_KEY_ID,
        secretAccessKey: AWS_SECRET_ACCESS_KEY,
        sessionToken: AWS_SESSION_TOKEN,
      }
    : { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY };
}

/** The SDK's standard retry mode: full jitter over 100 ms, doubling per attempt. */
const RETRY_BASE_MS = 100;

const RETRYABLE_CODES =
  /Throttl|TooManyRequests|RequestLimitExceeded|InternalServerError|ServiceUnavailable|^E[A-Z]+$|Timeout/;

const keepAlive = { keepAlive: true, maxSockets: 16 };
const httpsAgent = new https.Agent(keepAlive);
const httpAgent = new http.Agent(keepAlive);

export class SsmApiClient {
  readonly #region: string;
  readonly #endpoint: URL;
  readonly #credentials: () => AwsCredentials;
  readonly #maxAttempts: number;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;

  constructor(options: SsmApiClientOptions = {}) {
    this.#region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const endpoint = options.endpoint ?? serviceEndpoint("ssm", this.#region);
    this.#endpoint = new URL(endpoint);
    this.#credentials = options.credentials ?? credentialsFromEnv;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  async getParametersByPath(input: GetParametersByPathInput): Promise<GetParametersByPathOutput> {
    const body = JSON.stringify(input);
    return withRetries(
      async () => (await this.#send("AmazonSSM.GetParametersByPath", body)) as GetParametersByPathOutput,
      {
        attempts: this.#maxAttempts,
        retryBaseMs: (error) =>
          error instanceof SsmApiError && (RETRYABLE_CODES.test(error.code) || (error.statusCode ?? 0) >= 500)
            ? RETRY_BASE_MS
            : undefined,
      },
    );
  }

  #send(target: string, body: string): Promise<unknown> {
    const url = this.#endpoint;
    const headers = signRequest(
      {
        method: "POST",
        url,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
        body,
      },
      this.#credentials(),
      this.#region,
      "ssm",
    );
    headers["content-length"] = String(Buffer.byteLength(body));
    const secure = url.protocol === "https:";
    const transport = secure ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { method: "POST", headers, agent: secure ? httpsAgent : httpAgent, timeout: this.#connectTimeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (e: NodeJS.ErrnoException) =>
            reject(new SsmApiError(e.code ?? "ECONNRESET", undefined, "SSM response interrupted")),
          );
          res.on("end", () => {
            clearTimeout(deadline);
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = {};
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(parsed);
            const fields = parsed as { __type?: string; message?: string; Message?: string };
            const rawType = String(res.headers["x-amzn-errortype"] ?? fields.__type ?? `HTTP${status}`);
            // "com.amazonaws.ssm#AccessDeniedException:..." -> "AccessDeniedException"
            const code = rawType.split("#").pop()?.split(":")[0] ?? rawType;
            reject(new SsmApiError(code, status, `${code} (HTTP ${status})`));
          });
        },
      );
      const deadline = setTimeout(
        () => req.destroy(Object.assign(new Error("SSM request timed out"), { code: "ETIMEDOUT" })),
        this.#requestTimeoutMs,
      );
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error("SSM connect timed out"), { code: "ETIMEDOUT" })),
      );
      req.on("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        reject(
          e instanceof SsmApiError
            ? e
            : new SsmApiError(e.code ?? "ECONNRESET", undefined, `SSM unreachable (${e.code ?? "error"})`),
        );
      });
      req.end(body);
    });
  }
}
