import { type ChildProcess, spawn } from "node:child_process";
import { CreateKeyCommand, KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { DescribeParametersCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { getFreePort } from "./free-port";
import { testPython } from "./test-python";

/** A running moto server (fake AWS: SSM, KMS, STS, IAM, …) bound to 127.0.0.1. */
export interface Moto {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** Environment for a process that should talk to this moto; see {@link motoEnv}. */
  env: Record<string, string>;
  /** Wipes all of moto's state (`POST /moto-api/reset`). Never call this on the shared instance. */
  reset(): Promise<void>;
  /** Kills the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** The fake credentials every moto-backed test uses; moto accepts any. */
export const MOTO_ACCESS_KEY_ID = "AKIAMOTOTESTKEY00001";
export const MOTO_SECRET_ACCESS_KEY = "moto-test-secret-access-key";
export const MOTO_REGION = "us-east-1";

/**
 * The environment a process needs to use moto: fake credentials, region us-east-1 and endpoint overrides
 * for SSM, STS, KMS and IAM (plus the generic AWS_ENDPOINT_URL). IMDS is disabled so the SDK never waits
 * on 169.254.169.254. Set AWS_ENDPOINT_URL_LAMBDA yourself (e.g. to a lambda-invoke-endpoint).
 */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: MOTO_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: MOTO_SECRET_ACCESS_KEY,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_ENDPOINT_URL_IAM: endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** Client configuration for an in-process AWS SDK client talking to moto. */
export function motoClientConfig(endpoint: string) {
  return {
    endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: MOTO_ACCESS_KEY_ID, secretAccessKey: MOTO_SECRET_ACCESS_KEY },
    maxAttempts: 2,
  };
}

const STDERR_TAIL_BYTES = 8192;
const START_TIMEOUT_MS = 30_000;

/**
 * Spawns `python -m moto.server -H 127.0.0.1 -p PORT` and resolves once it answers HTTP.
 * Retries on another port if the chosen one was taken in the meantime.
 * Moto logs every request; its output is drained continuously (only a short stderr tail is kept, for
 * error messages) so a full pipe can never block it.
 */
export async function startMoto(): Promise<Moto> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startMotoOnce(await getFreePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startMotoOnce(port: number): Promise<Moto> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(testPython(), ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (hasExited) {
      throw new Error(`moto exited before answering on ${endpoint}:\n${stderrTail}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await kill(child, exited);
      throw new Error(`moto did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms:\n${stderrTail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    env: motoEnv(endpoint),
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
      await res.arrayBuffer();
    },
    stop: () => kill(child, exited),
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // moto's graceful shutdown waits for open keep-alive connections (seconds); it has nothing worth saving.
  child.kill("SIGKILL");
  await exited;
}

/**
 * Makes moto load its SSM, KMS and STS backends now (it imports each lazily on first use, which takes
 * seconds on a busy machine) so that the first test to touch them does not pay for it inside its timeout.
 */
export async function warmUpMoto(endpoint: string): Promise<void> {
  const config = motoClientConfig(endpoint);
  const ssm = new SSMClient(config);
  const kms = new KMSClient(config);
  const sts = new STSClient(config);
  try {
    await Promise.all([
      ssm.send(new DescribeParametersCommand({ MaxResults: 1 })),
      kms.send(new ListKeysCommand({ Limit: 1 })),
      sts.send(new GetCallerIdentityCommand({})),
    ]);
  } finally {
    ssm.destroy();
    kms.destroy();
    sts.destroy();
  }
}

/** Options for {@link seedParameters}. */
export interface SeedOptions {
  /** Parameter type; default `SecureString`. */
  type?: "String" | "SecureString";
  /** KMS key for SecureString parameters; default the account's `alias/aws/ssm`. */
  keyId?: string;
}

/**
 * Writes parameters (full names, e.g. `/test/abc123/localhost_40001`) into moto's SSM, overwriting any
 * existing value. Avoid `:` in names: moto's GetParametersByPath does not list them.
 */
export async function seedParameters(
  endpoint: string,
  params: Record<string, string>,
  opts: SeedOptions = {},
): Promise<void> {
  const client = new SSMClient(motoClientConfig(endpoint));
  try {
    const type = opts.type ?? "SecureString";
    const entries = Object.entries(params);
    // A few at a time: moto's development server is not built for a burst of parallel writes.
    for (let i = 0; i < entries.length; i += 8) {
      await Promise.all(
        entries.slice(i, i + 8).map(([name, value]) =>
          client.send(
            new PutParameterCommand({
              Name: name,
              Value: value,
              Type: type,
              Overwrite: true,
              ...(type === "SecureString" && opts.keyId ? { KeyId: opts.keyId } : {}),
            }),
          ),
        ),
      );
    }
  } finally {
    client.destroy();
  }
}

/** A customer-managed KMS key created in moto. */
export interface KmsKey {
  keyId: string;
  arn: string;
}

/** Creates a symmetric KMS key in moto (for SecureString parameters encrypted with a custom key). */
export async function createKmsKey(
  endpoint: string,
  description = "ssm-sign-proxy test key",
): Promise<KmsKey> {
  const client = new KMSClient(motoClientConfig(endpoint));
  try {
    const out = await client.send(new CreateKeyCommand({ Description: description }));
    const keyId = out.KeyMetadata?.KeyId;
    const arn = out.KeyMetadata?.Arn;
    if (!keyId || !arn) throw new Error("moto CreateKey returned no key id");
    return { keyId, arn };
  } finally {
    client.destroy();
  }
}
