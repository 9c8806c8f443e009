/**
 * Command line + SSM_SIGN_PROXY_* environment -> typed options, or a usage error naming the problem.
 * Pure: no I/O. Flags win over environment variables.
 */

import { INVOKE_MAX_BODY } from "../../lambda/core/limits";
import { DEFAULT_AUDIENCE } from "../credentials/github-id-token";
import { type AllowList, parseAllowList } from "../http/access-control";
import { parseTunnelHosts, type TunnelHosts } from "../http/connect/tunnel-hosts";
import { defaultCaDir } from "../tls/ca-store";
import { type ListenAddress, parseListenAddress } from "./listen-address";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What fits a 6 MB Invoke after base64, with room for the rest of the event (lambda/core/limits.ts). */
export const DEFAULT_MAX_BODY = INVOKE_MAX_BODY;
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const DEFAULT_ADDRESS = "127.0.0.1:8000";
export const DEFAULT_MAX_IN_FLIGHT = 256;
/** Request and answer bodies held at once, in multiples of --max-body (see http/memory-budget.ts). */
export const DEFAULT_BUFFERED_MULTIPLE = 4;
export const DEFAULT_WRITE_TIMEOUT_SECONDS = 30;

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
  /** With --proxy-token: serve /healthz and /metrics without the token (e.g. for a load balancer). */
  publicHealth: boolean;
  /** Requests handled at once across all connections; beyond it 503 `daemon-busy`. */
  maxInFlight: number;
  /** Bytes of request and answer bodies held at once; beyond it 503 `daemon-busy`. */
  maxBufferedBytes: number;
  /** A client that accepts no byte of its answer for this long is disconnected. */
  writeTimeoutSeconds: number;
  /** Lambda mode in CI: assume this role with the job's OIDC ID token (see github-actions-credentials). */
  roleArn?: string;
  /** Audience of the GitHub Actions ID token requested for --role-arn; default sts.amazonaws.com. */
  audience?: string;
  /** --intercept: terminate TLS inside CONNECT tunnels with leaves from the local CA in `caDir`. */
  intercept: boolean;
  caDir: string;
  /** --tunnel: hosts whose CONNECT tunnels are passed through as raw TCP. */
  tunnel: TunnelHosts;
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
  publicHealth: { names: ["public-health"], env: "SSM_SIGN_PROXY_PUBLIC_HEALTH", kind: "switch" },
  maxInFlight: { names: ["max-in-flight"], env: "SSM_SIGN_PROXY_MAX_IN_FLIGHT", kind: "value" },
  writeTimeout: { names: ["write-timeout"], env: "SSM_SIGN_PROXY_WRITE_TIMEOUT", kind: "value" },
  maxBuffered: { names: ["max-buffered"], env: "SSM_SIGN_PROXY_MAX_BUFFERED", kind: "value" },
  roleArn: { names: ["role-arn"], env: "SSM_SIGN_PROXY_ROLE_ARN", kind: "value" },
  audience: { names: ["audience"], env: "SSM_SIGN_PROXY_AUDIENCE", kind: "value" },
  intercept: { names: ["intercept"], env: "SSM_SIGN_PROXY_INTERCEPT", kind: "switch" },
  caDir: { names: ["ca-dir"], env: "SSM_SIGN_PROXY_CA_DIR", kind: "value" },
  tunnel: { names: ["tunnel"], env: "SSM_SIGN_PROXY_TUNNEL", kind: "value" },
  noScrub: { names: ["no-scrub"], kind: "switch" },
  help: { names: ["help", "h"], kind: "switch" },
  version: { names: ["version", "v"], kind: "switch" },
} satisfies Record<string, FlagSpec>;

type FlagKey = keyof typeof FLAGS;

export const USAGE = `Usage: ssm-sign-proxy (--local FILE | --function-name NAME) [options]

A forward proxy for http_proxy: each request gets its API tokens attached by the signer and is sent on
over HTTPS. Send plain http:// URLs (the signer upgrades them), directly or through CONNECT tunnels;
https:// URLs through https_proxy need --intercept.

Modes (exactly one):
  --local FILE           sign in-process with parameters from a JSON file of full names to values,
                         e.g. {"/api.github.com/headers/Authorization": "token ..."}; re-read on change
  --function-name NAME   sign through the Lambda function NAME (AWS default credential chain)

Options:
  --prefix PREFIX        parameter name prefix for --local (default: none)
  --address HOST:PORT    where to listen (default ${DEFAULT_ADDRESS}); --addr also works
  --timeout SECONDS      per-request limit for signing and forwarding (default ${DEFAULT_TIMEOUT_SECONDS})
  --max-body BYTES       largest request body accepted (default ${DEFAULT_MAX_BODY}: what fits a 6 MB Invoke)
  --max-in-flight N      requests handled at once, all connections together (default ${DEFAULT_MAX_IN_FLIGHT});
                         beyond it: 503 + Retry-After
  --max-buffered BYTES   request and answer bodies held in memory at once (default 4 x --max-body);
                         beyond it: 503 + Retry-After
  --write-timeout SEC    disconnect a client that accepts no byte of its answer for SEC (default ${DEFAULT_WRITE_TIMEOUT_SECONDS})
  --allow CIDR,...       only these client networks may use the daemon (others get 403)
  --proxy-token TOKEN    require the token on proxied requests: http_proxy=http://user:TOKEN@HOST:PORT
                         (Basic) or "Proxy-Authorization: Bearer TOKEN"; and on /healthz and /metrics
                         ("Authorization: Bearer TOKEN")
  --public-health        with --proxy-token: serve /healthz and /metrics without it
  --intercept            HTTPS through https_proxy: terminate TLS inside CONNECT tunnels with a leaf from
                         a local CA (created on first use; trust it: see \`ssm-sign-proxy env\`)
  --ca-dir DIR           where the CA lives (default $XDG_STATE_HOME/ssm-sign-proxy, else
                         ~/.local/state/ssm-sign-proxy)
  --tunnel HOSTS         names and *.suffix patterns passed through CONNECT as raw TCP, never decrypted
  --log-level LEVEL      ${LOG_LEVELS.join(", ")} (default info)
  --no-scrub             --local: do not replace injected values echoed in answers (on by default)
  --version (-v), --help (-h)

Keyless CI (with --function-name):
  --role-arn ARN         assume ARN with the CI's OIDC ID token and refresh it before it expires: in GitHub
                         Actions (needs "permissions: id-token: write") the daemon requests the token itself;
                         elsewhere it reads AWS_WEB_IDENTITY_TOKEN_FILE (e.g. CircleCI's $CIRCLE_OIDC_TOKEN_V2)
  --audience AUD         audience of the GitHub Actions ID token (default ${DEFAULT_AUDIENCE})

Subcommands (each takes --help):
  ssm-sign-proxy env     print http_proxy, https_proxy and the CA variables: eval "$(ssm-sign-proxy env)"
  ssm-sign-proxy ca init|path|install|uninstall   the interception CA and the system trust store

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

  const rawAllow = get("allow");
  const allow = parseAllowList(rawAllow ?? "");
  if ("kind" in allow) return usageError(`--allow: ${allow.message}`);
  // `--allow " , "` must not quietly mean "everyone": that is what leaving --allow out says.
  if (rawAllow !== undefined && allow.cidrs.length === 0) {
    return usageError(
      "--allow lists no network: give CIDRs like 10.0.0.0/8, or leave --allow out to allow every client",
    );
  }
  const maxInFlight = parsePositiveNumber(
    "max-in-flight",
    get("maxInFlight") ?? String(DEFAULT_MAX_IN_FLIGHT),
    true,
  );
  if (typeof maxInFlight !== "number") return maxInFlight;
  const writeTimeout = parsePositiveNumber(
    "write-timeout",
    get("writeTimeout") ?? String(DEFAULT_WRITE_TIMEOUT_SECONDS),
    false,
  );
  if (typeof writeTimeout !== "number") return writeTimeout;
  const maxBuffered = parsePositiveNumber(
    "max-buffered",
    get("maxBuffered") ?? String(DEFAULT_BUFFERED_MULTIPLE * maxBody),
    true,
  );
  if (typeof maxBuffered !== "number") return maxBuffered;

  const tunnel = parseTunnelHosts(get("tunnel") ?? "");
  if ("kind" in tunnel) return usageError(`--tunnel: ${tunnel.message}`);
  const interceptRaw = (get("intercept") ?? "").toLowerCase();
  if (!["", "true", "1", "0", "false"].includes(interceptRaw)) {
    return usageError(`SSM_SIGN_PROXY_INTERCEPT must be 1 or 0, got ${JSON.stringify(interceptRaw)}`);
  }

  const options: DaemonOptions = {
    mode,
    prefix: get("prefix") ?? "",
    address,
    timeoutSeconds: timeout,
    maxBodyBytes: maxBody,
    logLevel: logLevel as LogLevel,
    allow,
    publicHealth: ["true", "1", "yes"].includes((get("publicHealth") ?? "").toLowerCase()),
    maxInFlight,
    writeTimeoutSeconds: writeTimeout,
    maxBufferedBytes: maxBuffered,
    intercept: interceptRaw === "true" || interceptRaw === "1",
    caDir: get("caDir") ?? defaultCaDir(env),
    tunnel,
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
