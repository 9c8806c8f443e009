/** The keyless-CI flags: --role-arn / SSM_SIGN_PROXY_ROLE_ARN and --audience / SSM_SIGN_PROXY_AUDIENCE. */
import { describe, expect, it } from "vitest";
import { type DaemonOptions, parseCli, USAGE } from "../../proxy-daemon/cli/cli-options";

function options(argv: string[], env: Record<string, string> = {}): DaemonOptions {
  const command = parseCli(argv, env);
  if (command.kind !== "run") throw new Error(`expected options, got ${JSON.stringify(command)}`);
  return command.options;
}

const ROLE = "arn:aws:iam::123456789012:role/ci";

describe("--role-arn and --audience", () => {
  it("default: no role, audience sts.amazonaws.com", () => {
    const o = options(["--function-name", "f"]);
    expect(o.roleArn).toBeUndefined();
    expect(o.audience).toBe("sts.amazonaws.com");
  });

  it("reads flags, and environment variables when no flag is given", () => {
    expect(options(["--function-name", "f", "--role-arn", ROLE, "--audience=aud-1"])).toMatchObject({
      roleArn: ROLE,
      audience: "aud-1",
    });
    const fromEnv = options(["--function-name", "f"], {
      SSM_SIGN_PROXY_ROLE_ARN: ROLE,
      SSM_SIGN_PROXY_AUDIENCE: "aud-2",
    });
    expect(fromEnv).toMatchObject({ roleArn: ROLE, audience: "aud-2" });
    expect(
      options(["--function-name", "f", "--audience", "flag"], { SSM_SIGN_PROXY_AUDIENCE: "env" }).audience,
    ).toBe("flag");
  });

  it("an empty SSM_SIGN_PROXY_ROLE_ARN (the action's default input) means no role", () => {
    expect(options(["--function-name", "f"], { SSM_SIGN_PROXY_ROLE_ARN: "" }).roleArn).toBeUndefined();
  });

  it("refuses --role-arn with --local", () => {
    expect(parseCli(["--local", "p.json", "--role-arn", ROLE], {})).toMatchObject({
      kind: "usage-error",
      message: expect.stringContaining("--role-arn is for --function-name"),
    });
  });

  it("documents both flags in --help", () => {
    expect(USAGE).toMatch(/--role-arn ARN/);
    expect(USAGE).toMatch(/--audience AUD .*default sts\.amazonaws\.com/);
    expect(USAGE).toContain("permissions: id-token: write");
  });
});
