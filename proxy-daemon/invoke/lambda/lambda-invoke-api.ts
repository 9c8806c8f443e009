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
import http from "node:http";
import https from "node:https";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { signRequest } from "../../../lambda/aws/sigv4";

export interface InvokeApiResult {
  /** `X-Amz-Function-Error` (Unhandled, …) when the function failed. */
  functionError?: string;
  payload: Buffer;
}

/** Sends one Invoke; throws errors shaped like the SDK's service exceptions. */
export interface InvokeTransport {
  send(functionName: string, payload: string, signal: AbortSignal): Promise<InvokeApiResult>;
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

function regionalEndpoint(region: string): string {
  return `https://lambda.${region}.${region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
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
    const region = await this.#options.region();
    const attempts = Math.max(1, await this.#options.maxAttempts());
    const base =
      this.#options.endpoint ??
      process.env.AWS_ENDPOINT_URL_LAMBDA ??
      process.env.AWS_ENDPOINT_URL ??
      regionalEndpoint(region);
    const url = new URL(
      `${base.replace(/\/+$/, "")}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sendOnce(url, region, payload, signal);
      } catch (error) {
        const status = error instanceof LambdaApiError ? error.$metadata.httpStatusCode : undefined;
        const code = (error as NodeJS.ErrnoException).code;
        const retryable =
          (status !== undefined && RETRYABLE_STATUS.has(status)) ||
          (code !== undefined && RETRYABLE_NETWORK.has(code));
        if (!retryable || attempt >= attempts || signal.aborted) throw error;
        const base = status === 429 ? THROTTLED_BASE_DELAY_MS : BASE_DELAY_MS;
        await sleep(Math.random() * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1)), signal);
        if (signal.aborted) throw error;
      }
    }
  }

  async #sendOnce(url: URL, region: string, payload: string, signal: AbortSignal): Promise<InvokeApiResult> {
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
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const data = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            const functionError = res.headers["x-amz-function-error"];
            resolve(typeof functionError === "string" ? { functionError, payload: data } : { payload: data });
            return;
          }
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
          reject(new LambdaApiError(errorType ?? `Http${status}Error`, message, status, retryAfter));
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
