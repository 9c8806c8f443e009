/**
 * Command line + SSM_SIGN_PROXY_* environment -> typed options, or a usage error naming the problem.
 * Pure: no I/O. Flags win over environment variables.
 */

import { INVOKE_MAX_BODY } from "../../lambda/core/limits";
import { DEFAULT_AUDIENCE } from "../credentials/github-id-token";
import { type AllowList, parseAllowList } from "../http/access-control";
import { type ListenAddress, parseListenAddress } from "./listen-address";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What fits a 6 MB Invoke after base64, with room for the rest of the event (lambda/core/limits.ts). */
export const DEFAULT_MAX_BODY = INVOKE_MAX_BODY;
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_ADDRESS = "127.0.0.1:8000";

export type SignerMode = { kind: "lambda"; functionName: string } | { kind: "local"; file: string };

export interface DaemonOptions {
  mode: SignerMode;
  /** Parameter name prefix, used by --local (in Lambda mode the function's own configuration decides). */
  prefix: string;
  address: ListenAddress;
  timeoutSeconds: number;
  maxBodyBytes: number;
  logLevel: LogLevel;
  /** Client networks allowed to use the daemon; empty means everyone who can reach the socket. */
  allow: AllowList;
  /** When set, forwarded requests need the token (Bearer, or Basic password). Secret: never logged. */
  proxyToken?: string;
  /** Lambda mode in CI: assume this role with the job's OIDC ID token (see github-actions-credentials). */
  roleArn?: string;
  /** Audience of the GitHub Actions ID token requested for --role-arn; default sts.amazonaws.com. */
  audience?: string;
  /** --local: replace injected values in answers (--no-scrub turns it off; Lambda mode: the function decides). */
  scrub: boolean;
}

export type CliCommand = { kind: "run"; options: DaemonOptions } | { kind: "help" } | { kind: "version" };

export interface UsageError {
  kind: "usage-error";
  message: string;
}

interface FlagSpec {
  names: string[];
  env?: string;
  kind: "value" | "switch";
}

const FLAGS = {
  functionName: { names: ["function-name"], env: "SSM_SIGN_PROXY_FUNCTION_NAME", kind: "value" },
  local: { names: ["local"], env: "SSM_SIGN_PROXY_LOCAL", kind: "value" },
  prefix: { names: ["prefix"], env: "SSM_SIGN_PROXY_PREFIX", kind: "value" },
  // --addr is the original Go daemon's spelling.
  address: { names: ["address", "addr"], env: "SSM_SIGN_PROXY_ADDRESS", kind: "value" },
  timeout: { names: ["timeout"], env: "SSM_SIGN_PROXY_TIMEOUT", kind: "value" },
  maxBody: { names: ["max-body"], env: "SSM_SIGN_PROXY_MAX_BODY", kind: "value" },
  logLevel: { names: ["log-level"], env: "SSM_SIGN_PROXY_LOG_LEVEL", kind: "value" },
  allow: { names: ["allow"], env: "SSM_SIGN_PROXY_ALLOW", kind: "value" },
  proxyToken: { names: ["proxy-token"], env: "SSM_SIGN_PROXY_PROXY_TOKEN", kind: "value" },
  roleArn: { names: ["role-arn"], env: "SSM_SIGN_PROXY_ROLE_ARN", kind: "value" },
  audience: { names: ["audience"], env: "SSM_SIGN_PROXY_AUDIENCE", kind: "value" },
  noScrub: { names: ["no-scrub"], kind: "switch" },
  help: { names: ["help", "h"], kind: "switch" },
  version: { names: ["version", "v"], kind: "switch" },
} satisfies Record<string, FlagSpec>;

type FlagKey = keyof typeof FLAGS;

export const USAGE = `Usage: ssm-sign-proxy (--local FILE | --function-name NAME) [options]

A forward proxy for http_proxy: each request gets its API tokens attached by the signer and is sent on
over HTTPS. Send plain http:// URLs; the signer upgrades them.

Modes (exactly one):
  --local FILE           sign in-process with parameters from a JSON file of full names to values,
                         e.g. {"/api.github.com/headers/Authorization": "token ..."}; re-read on change
  --function-name NAME   sign through the Lambda function NAME (AWS default credential chain)

Options:
  --prefix PREFIX        parameter name prefix for --local (default: none)
  --address HOST:PORT    where to listen (default ${DEFAULT_ADDRESS}); --addr also works
  --timeout SECONDS      per-request limit for signing and forwarding (default ${DEFAULT_TIMEOUT_SECONDS})
  --max-body BYTES       largest request body accepted (default ${DEFAULT_MAX_BODY}: what fits a 6 MB Invoke)
  --allow CIDR,...       only these client networks may use the daemon (others get 403)
  --proxy-token TOKEN    require the token on proxied requests: http_proxy=http://user:TOKEN@HOST:PORT
                         (Basic) or "Proxy-Authorization: Bearer TOKEN"
  --log-level LEVEL      ${LOG_LEVELS.join(", ")} (default info)
  --no-scrub             --local: do not replace injected values echoed in answers (on by default)
  --version (-v), --help (-h)

Keyless CI (with --function-name):
  --role-arn ARN         assume ARN with the CI's OIDC ID token and refresh it before it expires: in GitHub
                         Actions (needs "permissions: id-token: write") the daemon requests the token itself;
                         elsewhere it reads AWS_WEB_IDENTITY_TOKEN_FILE (e.g. CircleCI's $CIRCLE_OIDC_TOKEN_V2)
  --audience AUD         audience of the GitHub Actions ID token (default ${DEFAULT_AUDIENCE})

Every option can also be set as SSM_SIGN_PROXY_<NAME> (e.g. SSM_SIGN_PROXY_FUNCTION_NAME); flags win.
Own pages: http://HOST:PORT/healthz and /metrics.
`;

function usageError(message: string): UsageError {
  return { kind: "usage-error", message };
}

function findFlag(name: string): FlagKey | undefined {
  for (const [key, spec] of Object.entries(FLAGS) as Array<[FlagKey, FlagSpec]>) {
    if (spec.names.includes(name)) return key;
  }
  return undefined;
}

/** Reads `--name value`, `--name=value` and the Go-style single dash `-name value`. */
function readArgv(argv: readonly string[]): Partial<Record<FlagKey, string>> | UsageError {
  const values: Partial<Record<FlagKey, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const match = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) return usageError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const name = match[1] ?? "";
    const key = findFlag(name);
    if (!key) return usageError(`unknown option --${name} (see --help)`);
    if (FLAGS[key].kind === "switch") {
      if (match[2] !== undefined) return usageError(`--${name} takes no value`);
      values[key] = "true";
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) return usageError(`--${name} needs a value`);
      i++;
    }
    values[key] = value;
  }
  return values;
}

function parsePositiveNumber(flag: string, raw: string, integer: boolean): number | UsageError {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    return usageError(
      `--${flag} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand | UsageError {
  const fromArgv = readArgv(argv);
  if ("kind" in fromArgv) return fromArgv;
  if (fromArgv.help) return { kind: "help" };
  if (fromArgv.version) return { kind: "version" };

  const get = (key: FlagKey): string | undefined => {
    const fromFlag = fromArgv[key];
    if (fromFlag !== undefined) return fromFlag;
    const envName = (FLAGS[key] as FlagSpec).env;
    const fromEnv = envName ? env[envName] : undefined;
    return fromEnv === "" ? undefined : fromEnv;
  };

  const functionName = get("functionName");
  const local = get("local");
  if (functionName && local) return usageError("give either --function-name or --local, not both");
  if (!functionName && !local) {
    return usageError("missing mode: give --local FILE (no AWS needed) or --function-name NAME (see --help)");
  }
  const mode: SignerMode = local
    ? { kind: "local", file: local }
    : { kind: "lambda", functionName: functionName ?? "" };

  const address = parseListenAddress(get("address") ?? DEFAULT_ADDRESS);
  if ("kind" in address) return usageError(`--address: ${address.message}`);

  const timeout = parsePositiveNumber("timeout", get("timeout") ?? String(DEFAULT_TIMEOUT_SECONDS), false);
  if (typeof timeout !== "number") return timeout;
  const maxBody = parsePositiveNumber("max-body", get("maxBody") ?? String(DEFAULT_MAX_BODY), true);
  if (typeof maxBody !== "number") return maxBody;

  const logLevel = (get("logLevel") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return usageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  }

  const allow = parseAllowList(get("allow") ?? "");
  if ("kind" in allow) return usageError(`--allow: ${allow.message}`);

  const options: DaemonOptions = {
    mode,
    prefix: get("prefix") ?? "",
    address,
    timeoutSeconds: timeout,
    maxBodyBytes: maxBody,
    logLevel: logLevel as LogLevel,
    allow,
    scrub: fromArgv.noScrub !== "true",
  };
  const proxyToken = get("proxyToken");
  if (proxyToken !== undefined) options.proxyToken = proxyToken;
  const roleArn = get("roleArn");
  if (roleArn !== undefined && mode.kind === "local") {
    return usageError("--role-arn is for --function-name (Lambda mode); --local needs no AWS credentials");
  }
  if (roleArn !== undefined) options.roleArn = roleArn;
  options.audience = get("audience") ?? DEFAULT_AUDIENCE;
  return { kind: "run", options };
}
