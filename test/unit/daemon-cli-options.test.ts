import { describe, expect, it } from "vitest";
import {
  type CliCommand,
  DEFAULT_MAX_BODY,
  parseCli,
  type UsageError,
} from "../../proxy-daemon/cli/cli-options";

function run(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseCli(argv, env);
  if (parsed.kind !== "run") throw new Error(`expected run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function usage(argv: string[], env: Record<string, string> = {}): string {
  const parsed: CliCommand | UsageError = parseCli(argv, env);
  if (parsed.kind !== "usage-error") throw new Error(`expected a usage error, got ${parsed.kind}`);
  return parsed.message;
}

describe("parseCli", () => {
  it("defaults: loopback port 8000, 30 s timeout, a max body that fits a 6 MB Invoke once base64-encoded", () => {
    const options = run(["--local", "params.json"]);
    expect(options.mode).toEqual({ kind: "local", file: "params.json" });
    expect(options.address).toEqual({ host: "127.0.0.1", port: 8000 });
    expect(options.timeoutSeconds).toBe(30);
    expect(options.maxBodyBytes).toBe(DEFAULT_MAX_BODY);
    expect(Math.ceil(DEFAULT_MAX_BODY / 3) * 4).toBeLessThan(6 * 1024 * 1024 - 60 * 1024);
    expect(options.logLevel).toBe("info");
    expect(options.proxyToken).toBeUndefined();
  });

  it("reads every flag, in --flag value, --flag=value and the Go original's -flag forms", () => {
    const options = run([
      "-function-name",
      "signer",
      "--prefix=/prod",
      "--addr",
      "0.0.0.0:9000",
      "--timeout",
      "2.5",
      "--max-body=1024",
      "--log-level",
      "debug",
      "--allow",
      "10.0.0.0/8, ::1",
      "--proxy-token",
      "t0k",
    ]);
    expect(options).toMatchObject({
      mode: { kind: "lambda", functionName: "signer" },
      prefix: "/prod",
      address: { host: "0.0.0.0", port: 9000 },
      timeoutSeconds: 2.5,
      maxBodyBytes: 1024,
      logLevel: "debug",
      proxyToken: "t0k",
    });
    expect(options.allow.cidrs).toEqual(["10.0.0.0/8", "::1"]);
  });

  it("takes every option from SSM_SIGN_PROXY_* when no flag is given; flags win", () => {
    const env = {
      SSM_SIGN_PROXY_FUNCTION_NAME: "from-env",
      SSM_SIGN_PROXY_ADDRESS: "[::1]:8001",
      SSM_SIGN_PROXY_TIMEOUT: "7",
      SSM_SIGN_PROXY_MAX_BODY: "99",
      SSM_SIGN_PROXY_LOG_LEVEL: "warn",
      SSM_SIGN_PROXY_PROXY_TOKEN: "env-token",
    };
    expect(run([], env)).toMatchObject({
      mode: { kind: "lambda", functionName: "from-env" },
      address: { host: "::1", port: 8001 },
      timeoutSeconds: 7,
      maxBodyBytes: 99,
      logLevel: "warn",
      proxyToken: "env-token",
    });
    expect(run(["--function-name", "from-flag", "--timeout", "3"], env)).toMatchObject({
      mode: { functionName: "from-flag" },
      timeoutSeconds: 3,
    });
  });

  it("accepts the Go original's :PORT, meaning loopback here", () => {
    expect(run(["--local", "p.json", "--addr", ":8000"]).address).toEqual({ host: "127.0.0.1", port: 8000 });
  });

  it("answers --help and --version before looking at anything else", () => {
    expect(parseCli(["--help"], {})).toEqual({ kind: "help" });
    expect(parseCli(["--version", "--bogus-ignored-after"], {}).kind).toBe("usage-error");
    expect(parseCli(["--version"], {})).toEqual({ kind: "version" });
    expect(parseCli(["-v"], {})).toEqual({ kind: "version" });
  });

  it.each([
    [[], /missing mode/],
    [["--local", "a", "--function-name", "b"], /not both/],
    [["--local"], /--local needs a value/],
    [["--local", "a", "--nope"], /unknown option --nope/],
    [["--local", "a", "stray"], /unexpected argument "stray"/],
    [["--local", "a", "--timeout", "0"], /--timeout must be a positive number/],
    [["--local", "a", "--timeout", "soon"], /--timeout must be a positive number/],
    [["--local", "a", "--max-body", "1.5"], /--max-body must be a positive integer/],
    [["--local", "a", "--address", "localhost"], /--address: expected HOST:PORT/],
    [["--local", "a", "--address", "127.0.0.1:70000"], /out of range/],
    [["--local", "a", "--log-level", "loud"], /--log-level must be one of/],
    [["--local", "a", "--allow", "10.0.0.0/33"], /--allow: "10.0.0.0\/33" is not/],
    [["--local", "a", "--help=yes"], /--help takes no value/],
  ])("refuses %j with a message naming the problem", (argv, message) => {
    expect(usage(argv)).toMatch(message);
  });
});
