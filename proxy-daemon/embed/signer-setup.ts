/** Builds an invoker from embedding options: the same two modes as the daemon, without a server. */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import type { LogSink } from "../../lambda/handler/request-log";
import { DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_SECONDS } from "../cli/cli-options";
import type { Invoker } from "../invoke/invoker";
import { createLambdaClient } from "../invoke/lambda/lambda-client";
import { LambdaInvoker } from "../invoke/lambda/lambda-invoker";
import { LocalInvoker } from "../invoke/local/local-invoker";
import { LocalParameterFile } from "../invoke/local/local-parameter-file";

/** Options shared by `createSignedFetch` and `createSigningDispatcher`. Give `functionName` or `local`. */
export interface SignerOptions {
  /** Sign through this Lambda function (name or ARN), with the default AWS credential chain. */
  functionName?: string;
  /** Sign in-process from a JSON file of full parameter names to values (no AWS needed). */
  local?: string;
  /** Parameter name prefix, for `local`. */
  prefix?: string;
  /** Per-request limit in seconds. @default 30 */
  timeoutSeconds?: number;
  /** Largest request body accepted, in bytes. @default what fits a 6 MB Invoke payload */
  maxBodyBytes?: number;
  /** Lambda mode: credentials instead of the default chain (e.g. `fromWebToken(...)`). */
  credentials?: AwsCredentialIdentityProvider;
  /** Lambda mode: region instead of the one from env or profile. */
  region?: string;
  /** Lambda mode: a client of your own (its configuration wins over `credentials` and `region`). */
  lambdaClient?: LambdaClient;
  /** Local mode: where the signer's log lines (audit line, file warnings) go. @default discarded */
  log?: LogSink;
}

export interface ResolvedSigner {
  invoker: Invoker;
  mode: "lambda" | "local";
  timeoutSeconds: number;
  maxBodyBytes: number;
}

export class SignerOptionsError extends Error {
  override readonly name = "SignerOptionsError";
}

export async function setUpSigner(options: SignerOptions): Promise<ResolvedSigner> {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log: LogSink = options.log ?? (() => {});
  if (options.local !== undefined && options.functionName !== undefined) {
    throw new SignerOptionsError("give either functionName or local, not both");
  }
  if (options.local !== undefined) {
    const file = await LocalParameterFile.open(options.local, (fields, msg) =>
      log({ level: "warn", msg, ...fields }),
    );
    const invoker = new LocalInvoker({ file, prefix: options.prefix ?? "", timeoutSeconds, log });
    return { invoker, mode: "local", timeoutSeconds, maxBodyBytes };
  }
  if (options.functionName !== undefined) {
    const client =
      options.lambdaClient ??
      createLambdaClient({
        ...(options.credentials ? { credentials: options.credentials } : {}),
        ...(options.region ? { region: options.region } : {}),
      });
    const invoker = new LambdaInvoker({
      client,
      functionName: options.functionName,
      timeoutSeconds,
      ownsClient: options.lambdaClient === undefined,
      // Our own client has no middleware of its own: take the direct path. A caller's client keeps the SDK's.
      direct: options.lambdaClient === undefined,
    });
    return { invoker, mode: "lambda", timeoutSeconds, maxBodyBytes };
  }
  throw new SignerOptionsError("missing mode: give functionName (Lambda) or local (a parameter file)");
}
