import { resolve } from "node:path";
import type { Invocation, LambdaFaults, LambdaInvokeServerConfig } from "./lambda-invoke-types";
import { MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY } from "./moto";
import { REPO_ROOT, type SpawnedProcess, spawnTsx } from "./spawn-with-env";
import { testCa } from "./test-ca";

export type { Invocation, LambdaFaults } from "./lambda-invoke-types";

/** The account id in ARNs; moto uses the same default. */
export const FAKE_ACCOUNT_ID = "123456789012";

export interface LambdaInvokeEndpointOptions {
  /** The one function this service knows. */
  functionName: string;
  /**
   * The function's environment (SSM_SIGN_PROXY_PREFIX, AWS_ENDPOINT_URL_SSM, SSM_SIGN_PROXY_CACHE_TTL, …),
   * set at process start like Lambda does. It starts from a clean environment plus fake credentials,
   * AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and NODE_EXTRA_CA_CERTS = the test CA; yours overrides those.
   */
  env?: Record<string, string>;
  /** ES module exporting `handler(event, context)`; default `dist/lambda/index.mjs` (run `npm run build`). */
  handlerModule?: string;
  /** Qualifiers that exist besides `$LATEST`. */
  aliases?: string[];
  /** Function timeout; default 30000 ms. */
  timeoutMs?: number;
}

export interface LambdaInvokeEndpoint {
  /** `http://127.0.0.1:PORT`: give it to LambdaClient `endpoint` or AWS_ENDPOINT_URL_LAMBDA. */
  endpoint: string;
  /** Full ARN of the function (`arn:aws:lambda:us-east-1:123456789012:function:NAME`). */
  functionArn: string;
  /** Every Invoke call so far, including refused ones. */
  invocations(): Promise<Invocation[]>;
  clearInvocations(): Promise<void>;
  /** Replaces the active faults (`{}` clears them); resolves once they are in effect. */
  setFaults(faults: LambdaFaults): Promise<void>;
  /** The server process: `stdout`/`stderr` hold the function's log lines (check no secret appears there). */
  process: SpawnedProcess;
  stop(): Promise<void>;
}

const SERVER_FILE = resolve(REPO_ROOT, "test/support/lambda-invoke-server.ts");

/**
 * Starts a fake Lambda service (its own process) that runs the real handler module on Invoke calls with
 * Lambda's status codes, error types and limits. See lambda-invoke-server.ts for the exact semantics.
 * The AWS SDK's LambdaClient works against it unmodified.
 */
export async function startLambdaInvokeEndpoint(
  opts: LambdaInvokeEndpointOptions,
): Promise<LambdaInvokeEndpoint> {
  const config: LambdaInvokeServerConfig = {
    functionName: opts.functionName,
    handlerModule: resolve(REPO_ROOT, opts.handlerModule ?? "dist/lambda/index.mjs"),
    aliases: opts.aliases ?? [],
    region: MOTO_REGION,
    accountId: FAKE_ACCOUNT_ID,
    timeoutMs: opts.timeoutMs ?? 30_000,
  };
  const ca = await testCa();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AWS_ACCESS_KEY_ID: MOTO_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: MOTO_SECRET_ACCESS_KEY,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_LAMBDA_FUNCTION_NAME: opts.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
    NODE_EXTRA_CA_CERTS: ca.caFile,
    ...opts.env,
  };
  const proc = spawnTsx(SERVER_FILE, [JSON.stringify(config)], { env, inheritEnv: false });
  let ports: RegExpMatchArray;
  try {
    ports = await proc.waitForLine(/^lambda-invoke-server ready invoke=(\d+) control=(\d+)$/, {
      timeoutMs: 45_000,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${ports[1]}`;
  const controlUrl = `http://127.0.0.1:${ports[2]}`;

  const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${controlUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const value: unknown = await res.json();
    if (!res.ok)
      throw new Error(`lambda-invoke-server ${method} ${path}: HTTP ${res.status} ${JSON.stringify(value)}`);
    return value;
  };

  return {
    endpoint,
    functionArn: `arn:aws:lambda:${config.region}:${config.accountId}:function:${config.functionName}`,
    invocations: async () => (await control("GET", "/invocations")) as Invocation[],
    clearInvocations: async () => {
      await control("DELETE", "/invocations");
    },
    setFaults: async (faults) => {
      await control("PUT", "/faults", faults);
    },
    process: proc,
    stop: async () => {
      await proc.stop();
    },
  };
}
