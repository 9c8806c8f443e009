/**
 * `gh api` through the daemon with --intercept. gh only talks to port 443 and never proxies loopback names, so
 * this runs in a private mount + network namespace (`unshare`, as dns-rebinding.test.ts does) where `ghe.test`
 * maps to 127.0.0.1 and a fake GitHub Enterprise API listens on 443. gh holds a placeholder token; the API
 * must see the one from the parameters. The same namespace checks that a --tunnel host whose name resolves to
 * 169.254.169.254 is refused after DNS resolution and never dialled.
 * Skipped, saying why, only where unshare or gh is missing.
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, spawnWithEnv } from "../support/spawn-with-env";

const UNSHARE = ["--mount", "--net", ...(process.getuid?.() === 0 ? [] : ["--map-root-user"])];

function problem(): string | undefined {
  if (spawnSync("gh", ["--version"]).error) return "gh is not installed (apt-get install -y gh)";
  const probe = spawnSync("unshare", [...UNSHARE, "true"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    return `unshare ${UNSHARE.join(" ")} failed: ${probe.stderr?.trim()}`;
  return undefined;
}
const skip = problem();

interface ProbeResult {
  gh: { code: number; stdout: string; stderr: string };
  seen: Array<{ path: string; authorization?: string; host?: string }>;
  metaTunnel: { status: number; head: string };
  metadataConnections: number;
  daemonLog: string;
}

describe.skipIf(skip !== undefined)("gh api through an intercepted tunnel (private namespace)", () => {
  it("gh api works with a placeholder token: the API sees the token from the parameters", async () => {
    const secret = `ghe-token-${randomBytes(8).toString("hex")}`;
    const dir = mkdtempSync(join(tmpdir(), "gh-hosts-"));
    writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n127.0.0.1 ghe.test\n169.254.169.254 meta.test\n");
    const script = [
      `mount --bind '${join(dir, "hosts")}' /etc/hosts`,
      "ip link set lo up",
      "ip addr add 169.254.169.254/32 dev lo",
      `exec '${process.execPath}' --import tsx test/e2e/gh-probe.ts`,
    ].join(" && ");
    const probe = spawnWithEnv("unshare", [...UNSHARE, "sh", "-c", script], {
      cwd: REPO_ROOT,
      env: { GH_PROBE_SECRET: secret },
    });
    let result: ProbeResult;
    try {
      const status = await probe.exited;
      const line = probe.stdout.find((l) => l.startsWith("{"));
      if (status.code !== 0 || !line) throw new Error(`probe failed (${status.code}):\n${probe.allOutput()}`);
      result = JSON.parse(line) as ProbeResult;
    } finally {
      await probe.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(result.gh.code, result.gh.stderr).toBe(0);
    expect(JSON.parse(result.gh.stdout)).toEqual({ login: "octo-through-proxy" });
    expect(result.seen.length).toBeGreaterThan(0);
    expect(result.seen.every((r) => r.authorization === `token ${secret}`)).toBe(true);
    expect(result.seen[0]?.path).toBe("/api/v3/user");
    expect(result.daemonLog).not.toContain(secret);

    // --tunnel meta.test, and meta.test resolves to 169.254.169.254: refused after DNS, never dialled.
    expect(result.metaTunnel.status).toBe(403);
    expect(result.metaTunnel.head).toContain("metadata-address");
    expect(result.metadataConnections).toBe(0);
  }, 60_000);
});

if (skip !== undefined) {
  describe("gh api through an intercepted tunnel", () => {
    it.skip(`skipped: ${skip}`, () => {});
  });
}
