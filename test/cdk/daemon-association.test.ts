import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonAssociation, DaemonAssociationError } from "../../cdk/daemon/daemon-association";
import { installScript } from "../../cdk/daemon/daemon-install-script";

// A stand-in bundle keeps these tests independent of `npm run build`; the stack tests use the real one.
const directory = mkdtempSync(join(tmpdir(), "ssm-sign-proxy-daemon-"));
const bundle = join(directory, "daemon.mjs");
writeFileSync(bundle, "console.log('daemon');\n");
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function associate(address?: string, daemonBundlePath = bundle, intercept?: boolean) {
  const stack = new Stack();
  new DaemonAssociation(stack, "Daemon", {
    functionName: "ssm-sign-proxy",
    targetTag: { key: "role", value: "web" },
    address,
    daemonBundlePath,
    intercept,
  });
  return Template.fromStack(stack);
}

describe("the install script", () => {
  const script = installScript.join("\n");

  it("is valid bash", () => {
    const result = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("writes a unit that starts the installed bundle with the parameters, under the found node", () => {
    const unit = script.slice(script.indexOf("<<UNIT\n") + 7, script.indexOf("\nUNIT\n"));
    expect(unit).toContain(
      "ExecStart=${node_bin} /opt/ssm-sign-proxy/ssm-sign-proxy.mjs --function-name {{ FunctionName }} --address {{ Address }}",
    );
    // Only the node path and the interception lines are expanded when the unit is written; nothing else in it
    // is shell syntax.
    const expanded = unit
      .replace("${node_bin}", "")
      .replace("${intercept_args}", "")
      .replace("${intercept_credentials}", "");
    expect(expanded.match(/[$`]/)).toBeNull();
  });

  it("with Intercept=true makes the CA on the host, trusts it, and passes it to the service as credentials", () => {
    const written = spawnSync(
      "bash",
      [
        "-c",
        `${script
          .slice(script.indexOf('intercept_args=""'), script.indexOf('unit_tmp="$(mktemp)"'))
          .split("\n")
          .filter((line) => !line.includes("$node_bin"))
          .join("\n")
          .replace("{{ Intercept }}", "true")}\nprintf "%s|%s" "$intercept_args" "$intercept_credentials"`,
      ],
      { encoding: "utf8" },
    );
    expect(written.stdout).toBe(
      " --intercept --ca-dir %d|LoadCredential=ca.pem:/var/lib/ssm-sign-proxy-ca/ca.pem\nLoadCredential=ca-key.pem:/var/lib/ssm-sign-proxy-ca/ca-key.pem",
    );
    expect(script).toContain("ssm-sign-proxy.mjs ca init --ca-dir /var/lib/ssm-sign-proxy-ca");
    expect(script).toContain("ssm-sign-proxy.mjs ca install --ca-dir /var/lib/ssm-sign-proxy-ca");
  });
});

describe("DaemonAssociation", () => {
  it.each([
    "0.0.0.0:8000",
    "10.0.0.5:8000",
    "[::]:8000",
    "8000",
  ])("refuses the non-loopback address %s", (address) => {
    expect(() => associate(address)).toThrow(DaemonAssociationError);
    expect(() => associate(address)).toThrow(/Use 127\.0\.0\.1:PORT/);
  });

  it("accepts loopback addresses", () => {
    for (const address of ["127.0.0.1:9000", "[::1]:9000", "localhost:9000"]) {
      expect(() => associate(address)).not.toThrow();
    }
  });

  it("passes Intercept=false by default and true when asked (daemonIntercept)", () => {
    const parameter = (intercept?: boolean) =>
      Object.values(associate(undefined, bundle, intercept).findResources("AWS::SSM::Association"))[0]
        ?.Properties.Parameters.Intercept;
    expect(parameter()).toEqual(["false"]);
    expect(parameter(true)).toEqual(["true"]);
  });

  it("says to build when the bundle is missing", () => {
    expect(() => associate(undefined, join(directory, "missing.mjs"))).toThrow(/run `npm run build` first/);
  });

  it("constrains every document parameter with a pattern its own default and values satisfy", () => {
    const template = associate("127.0.0.1:9000");
    const document = Object.values(template.findResources("AWS::SSM::Document"))[0]?.Properties.Content;
    const association = Object.values(template.findResources("AWS::SSM::Association"))[0]?.Properties;
    for (const [name, parameter] of Object.entries(
      document.parameters as Record<string, { allowedPattern: string; default?: string }>,
    )) {
      const pattern = new RegExp(parameter.allowedPattern);
      const value = association.Parameters[name][0];
      if (typeof value === "string") expect(value, name).toMatch(pattern);
      if (parameter.default !== undefined) expect(parameter.default, name).toMatch(pattern);
    }
    expect(new RegExp(document.parameters.FunctionName.allowedPattern).test("x; rm -rf /")).toBe(false);
  });
});
