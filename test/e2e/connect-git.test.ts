/**
 * `git clone https://…` with https_proxy and GIT_SSL_CAINFO, URL unmodified: the daemon intercepts the tunnel
 * and the signer adds HTTP Basic credentials from the parameters. The client never holds the password.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type GitHttpsServer, startGitHttpsServer } from "../support/git-https-server";
import { testCa } from "../support/test-ca";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";
import { tunnelEnv } from "./tunnel-clients";

const run = promisify(execFile);
const password = `git-password-${randomBytes(6).toString("hex")}`;
let git: GitHttpsServer;
let daemon: DaemonProcess;
let params: ParamsFile;
let work: string;

beforeAll(async () => {
  git = await startGitHttpsServer("ci-bot", password);
  params = paramsFile({
    [`/localhost_${git.port}/basic/username`]: "ci-bot",
    [`/localhost_${git.port}/basic/password`]: password,
  });
  work = mkdtempSync(join(tmpdir(), "sign-proxy-clone-"));
  daemon = await startDaemonProcess({
    args: ["--local", params.path, "--intercept", "--ca-dir", join(work, "ca")],
    env: { NODE_EXTRA_CA_CERTS: (await testCa()).caFile },
  });
});

afterAll(async () => {
  await daemon?.stop();
  await git?.stop();
  params?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("git clone https://… works through the proxy, with the credential injected (basic)", async () => {
  const env = {
    ...tunnelEnv(daemon.proxyUrl, join(work, "ca", "ca.pem")),
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: work,
  };
  await run("git", ["clone", "-q", git.url, join(work, "clone")], { env, timeout: 20_000 });
  expect(readFileSync(join(work, "clone", "README"), "utf8")).toBe("cloned through the proxy\n");
  const { stdout } = await run("git", ["-C", join(work, "clone"), "rev-parse", "HEAD"]);
  expect(stdout.trim()).toBe(git.head);
  expect(git.authorizations.length).toBeGreaterThan(0);
  expect(
    git.authorizations.every((a) => a === `Basic ${Buffer.from(`ci-bot:${password}`).toString("base64")}`),
  ).toBe(true);
  expect(readFileSync(join(work, "clone", ".git", "config"), "utf8")).not.toContain(password);
  expect(daemon.output()).not.toContain(password);
});
