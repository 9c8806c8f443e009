/**
 * `ssm-sign-proxy env` and `ssm-sign-proxy ca`, run as the built CLI the way users run them: what the shell
 * gets, the combined bundle, and the trust store commands (in a private mount namespace whose trust store is
 * a fresh tmpfs, so the machine's own is never touched).
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SYSTEM_BUNDLES } from "../../proxy-daemon/cli/ca-bundle";
import { CLI } from "./daemon-process";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "env-command-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: work, ...env },
  });

describe("ssm-sign-proxy env", () => {
  const caDir = join(work, "ca");

  it('prints variables that `eval "$(ssm-sign-proxy env)"` sets, proxying both schemes and trusting the CA', async () => {
    const { stdout } = await run("sh", [
      "-c",
      `eval "$('${process.execPath}' '${CLI}' env --address 127.0.0.1:8123 --ca-dir '${caDir}')" && env`,
    ]);
    const vars = Object.fromEntries(
      stdout.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    for (const name of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"])
      expect(vars[name], name).toBe("http://127.0.0.1:8123");
    expect(vars.no_proxy).toBe("localhost,127.0.0.1,::1");
    expect(vars.NODE_USE_ENV_PROXY).toBe("1");
    expect(vars.NODE_EXTRA_CA_CERTS).toBe(join(caDir, "ca.pem"));
    for (const name of ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"]) {
      expect(vars[name], name).toBe(join(caDir, "bundle.pem"));
    }
  });

  it("writes a bundle of the system's roots plus the CA (SSL_CERT_FILE replaces a tool's roots)", () => {
    const bundle = readFileSync(join(caDir, "bundle.pem"), "utf8");
    expect(bundle).toContain(readFileSync(join(caDir, "ca.pem"), "utf8").trim());
    const system = SYSTEM_BUNDLES.find((p) => existsSync(p));
    if (system) expect(bundle.startsWith(readFileSync(system, "utf8").slice(0, 2000))).toBe(true);
    expect((bundle.match(/BEGIN CERTIFICATE/g) ?? []).length).toBeGreaterThan(50);
  });

  it("--shell github prints NAME=value lines for $GITHUB_ENV; --shell fish uses set -gx", () => {
    const github = cli(["env", "--ca-dir", caDir, "--shell", "github"]);
    expect(github.status).toBe(0);
    expect(github.stdout).toContain("https_proxy=http://127.0.0.1:8000\n");
    expect(
      github.stdout
        .split("\n")
        .filter(Boolean)
        .every((l) => /^[A-Za-z_]+=[^'"]+$/.test(l)),
    ).toBe(true);
    const fish = cli(["env", "--ca-dir", caDir, "--shell", "fish"], {
      SSM_SIGN_PROXY_ADDRESS: "127.0.0.1:9001",
    });
    expect(fish.stdout).toContain("set -gx HTTPS_PROXY 'http://127.0.0.1:9001'\n");
  });

  it("refuses an unknown shell with exit code 2", () => {
    const answer = cli(["env", "--ca-dir", caDir, "--shell", "tcsh"]);
    expect(answer.status).toBe(2);
    expect(answer.stderr).toContain("--shell must be one of sh, fish, github");
  });
});

describe("ssm-sign-proxy ca", () => {
  it("path without a CA says to run ca init", () => {
    const answer = cli(["ca", "path", "--ca-dir", join(work, "none")]);
    expect(answer.status).toBe(1);
    expect(answer.stderr).toContain(`run \`ssm-sign-proxy ca init --ca-dir ${join(work, "none")}\``);
  });

  it("init prints the certificate's path; path prints it again", () => {
    const dir = join(work, "init");
    expect(cli(["ca", "init", "--ca-dir", dir]).stdout).toBe(`${join(dir, "ca.pem")}\n`);
    expect(cli(["ca", "path", "--ca-dir", dir]).stdout).toBe(`${join(dir, "ca.pem")}\n`);
  });

  it("install without root says to use sudo", () => {
    const dir = join(work, "init");
    const answer = spawnSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        CLI,
        "ca",
        "install",
        "--ca-dir",
        dir,
      ],
      { encoding: "utf8" },
    );
    if (answer.error) return; // no setpriv: nothing to drop privileges with
    expect(answer.status).toBe(1);
    expect(answer.stderr).toContain(`needs root: run \`sudo ssm-sign-proxy ca install --ca-dir ${dir}\``);
  });

  const unshare = ["--mount", ...(process.getuid?.() === 0 ? [] : ["--map-root-user"])];
  const usable =
    spawnSync("unshare", [...unshare, "true"]).status === 0 && existsSync("/usr/sbin/update-ca-certificates");
  it.skipIf(!usable)(
    "install adds the CA to the system bundle, uninstall removes it (Debian, private trust store)",
    () => {
      const dir = join(work, "init");
      const ca = readFileSync(join(dir, "ca.pem"), "utf8").split("\n")[1] ?? "missing";
      const cmd = (action: string) => `'${process.execPath}' '${CLI}' ca ${action} --ca-dir '${dir}'`;
      const script = [
        'for d in /usr/local/share/ca-certificates /etc/ssl/certs; do mount -t tmpfs tmpfs "$d"; done',
        cmd("install"),
        "grep -c '' /etc/ssl/certs/ca-certificates.crt > /dev/null",
        `grep -q '${ca}' /etc/ssl/certs/ca-certificates.crt && echo installed-in-bundle`,
        cmd("uninstall"),
        `grep -q '${ca}' /etc/ssl/certs/ca-certificates.crt || echo gone-from-bundle`,
      ].join(" && ");
      const answer = spawnSync("unshare", [...unshare, "sh", "-c", script], { encoding: "utf8" });
      expect(answer.stdout, answer.stderr).toContain("installed-in-bundle");
      expect(answer.stdout, answer.stderr).toContain("gone-from-bundle");
      expect(answer.stderr).toContain("installed ");
      expect(readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8")).not.toContain(ca);
    },
  );
});
