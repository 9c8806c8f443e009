/**
 * The Invoke call itself, made directly: `POST /2015-03-31/functions/{name}/invocations`, SigV4-signed with the
 * function's own signer (lambda/aws-sigv4.ts), over one keep-alive agent. It is the daemon's hot path, and the
 * SDK's generic middleware stack (schema serde, endpoint rules, retry and auth plumbing) was ~40% of the daemon's
 * CPU per request in Lambda mode (`node --cpu-prof`, docs/benchmarks.md). Credentials, region and attempts still
 * come from an SDK LambdaClient's resolved config, so the credential chain, profiles and AWS_MAX_ATTEMPTS behave
 * exactly as with the SDK. Errors are thrown in the SDK's shape (`name`, `$metadata.httpStatusCode`), so one
 * mapping serves both paths.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */

import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { serviceEndpoint } from "../../../lambda/aws/endpoints";
import { withRetries } from "../../../lambda/aws/retry";
import { signRequest } from "../../../lambda/aws/sigv4";
import { payloadStream } from "./event-stream-reader";

export interface InvokeApiResult {
  /** `X-Amz-Function-Error` (Unhandled, …) when the function failed. */
  functionError?: string;
  payload: Buffer;
}

/** A started InvokeWithResponseStream: the function's stream content type and its bytes. */
export interface StreamApiResult {
  /** `application/vnd.awslambda.http-integration-response` when the function wrote a metadata prelude. */
  contentType: string;
  /** Ends with a FunctionStreamError when the function or the service failed mid-stream. */
  payload: Readable;
}

/** Sends one Invoke; throws errors shaped like the SDK's service exceptions. */
export interface InvokeTransport {
  send(functionName: string, payload: string, signal: AbortSignal): Promise<InvokeApiResult>;
  stream(functionName: string, payload: string, signal: AbortSignal): Promise<StreamApiResult>;
  close(): void;
}

/** A Lambda service error, with the fields the SDK's exceptions carry and the invoker reads. */
export class LambdaApiError extends Error {
  readonly $metadata: { httpStatusCode?: number };
  constructor(
    override readonly name: string,
    message: string,
    httpStatusCode: number | undefined,
    readonly retryAfterSeconds?: string,
  ) {
    super(message);
    this.$metadata = { httpStatusCode };
  }
}

export interface DirectInvokeOptions {
  region: () => Promise<string>;
  credentials: AwsCredentialIdentityProvider;
  maxAttempts: () => Promise<number>;
  /** @default AWS_ENDPOINT_URL_LAMBDA, then AWS_ENDPOINT_URL, then the regional endpoint */
  endpoint?: string;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"]);
/** The SDK's standard retry mode: full jitter over 100 ms (500 ms when throttled) doubling per attempt. */
const BASE_DELAY_MS = 100;
const THROTTLED_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;

const INVOKE_PATH = (name: string) => `/2015-03-31/functions/${name}/invocations`;
const STREAMING_PATH = (name: string) => `/2021-11-15/functions/${name}/response-streaming-invocations`;

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("error", reject);
    res.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** Lambda's error answer in the SDK's exception shape. */
function apiError(res: IncomingMessage, status: number, data: Buffer): LambdaApiError {
  let message = `HTTP ${status}`;
  let type: string | undefined;
  try {
    const parsed = JSON.parse(data.toString("utf8")) as {
      message?: string;
      Message?: string;
      __type?: string;
    };
    message = parsed.message ?? parsed.Message ?? message;
    type = parsed.__type;
  } catch {
    // Not JSON: the status and error type header still say what happened.
  }
  const errorType = String(res.headers["x-amzn-errortype"] ?? type ?? `Http${status}Error`)
    .split(":")[0]
    ?.split("#")
    .pop();
  const retryAfter = res.headers["retry-after"];
  return new LambdaApiError(errorType ?? `Http${status}Error`, message, status, retryAfter);
}

export class DirectInvokeTransport implements InvokeTransport {
  readonly #options: DirectInvokeOptions;
  readonly #agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 128, timeout: 60_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 128, timeout: 60_000 }),
  };

  constructor(options: DirectInvokeOptions) {
    this.#options = options;
  }

  /** Uses the credential chain, region and attempts an SDK client has resolved. */
  static fromClient(client: LambdaClient): DirectInvokeTransport {
    const config = client.config;
    return new DirectInvokeTransport({
      region: () => config.region(),
      credentials: () => config.credentials(),
      maxAttempts: () => config.maxAttempts(),
    });
  }

  async send(functionName: string, payload: string, signal: AbortSignal): Promise<InvokeApiResult> {
    const res = await this.#withRetries(INVOKE_PATH, functionName, payload, signal);
    const data = await readAll(res);
    const functionError = res.headers["x-amz-function-error"];
    return typeof functionError === "string" ? { functionError, payload: data } : { payload: data };
  }

  /**
   * InvokeWithResponseStream: resolves once Lambda has answered with headers, with the function's stream
   * content type and its bytes as they arrive (event-stream-reader.ts). Retries happen only before that.
   */
  async stream(functionName: string, payload: string, signal: AbortSignal): Promise<StreamApiResult> {
    const res = await this.#withRetries(STREAMING_PATH, functionName, payload, signal);
    return { contentType: String(res.headers["content-type"] ?? ""), payload: payloadStream(res) };
  }

  async #withRetries(
    path: (name: string) => string,
    functionName: string,
    payload: string,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const region = await this.#options.region();
    const attempts = Math.max(1, await this.#options.maxAttempts());
    const base = this.#options.endpoint ?? serviceEndpoint("lambda", region);
    const url = new URL(`${base.replace(/\/+$/, "")}${path(encodeURIComponent(functionName))}`);
    return withRetries(() => this.#requestOnce(url, region, payload, signal), {
      attempts,
      maxDelayMs: MAX_DELAY_MS,
      signal,
      retryBaseMs: (error) => {
        const status = error instanceof LambdaApiError ? error.$metadata.httpStatusCode : undefined;
        const code = (error as NodeJS.ErrnoException).code;
        const retryable =
          (status !== undefined && RETRYABLE_STATUS.has(status)) ||
          (code !== undefined && RETRYABLE_NETWORK.has(code));
        if (!retryable) return undefined;
        return status === 429 ? THROTTLED_BASE_DELAY_MS : BASE_DELAY_MS;
      },
    });
  }

  /** One signed POST; resolves with a 2xx response still unread, rejects with Lambda's error otherwise. */
  async #requestOnce(
    url: URL,
    region: string,
    payload: string,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    const credentials = await this.#options.credentials();
    const headers = signRequest(
      { method: "POST", url, headers: { "content-type": "application/json" }, body: payload },
      credentials,
      region,
      "lambda",
    );
    const body = Buffer.from(payload, "utf8");
    headers["content-length"] = String(body.length);
    const secure = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, {
        method: "POST",
        headers,
        agent: secure ? this.#agents.https : this.#agents.http,
        signal,
      });
      req.on("error", reject);
      req.on("response", (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        readAll(res).then((data) => reject(apiError(res, status, data)), reject);
      });
      req.end(body);
    });
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
