/**
 * DNS rebinding, at connect time: the function refuses a host whose *resolution* is 169.254.169.254, whatever
 * its name. A private mount + network namespace (`unshare`) gets its own /etc/hosts (bind-mounted) mapping
 * `rebind.test` to 169.254.169.254 and `control.test` to 127.0.0.1, and 169.254.169.254 on its loopback with a
 * listener that counts connections. The handler runs in that namespace (support/rebinding-probe.ts).
 * Expected: 403 naming link-local/metadata and zero connections to 169.254.169.254; the control name, resolved
 * through the same hosts file, is dialled (so the hosts file really is what the function resolves with).
 * Skipped, saying why, only where unshare cannot create the namespaces.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, spawnWithEnv } from "../support/spawn-with-env";
import { recordSection } from "./support/figures";

/** As root `unshare -m -n`; otherwise a user namespace maps us to root inside (`-r`). */
const UNSHARE = ["--mount", "--net", ...(process.getuid?.() === 0 ? [] : ["--map-root-user"])];

function unshareProblem(): string | undefined {
  const probe = spawnSync("unshare", [...UNSHARE, "true"], { encoding: "utf8" });
  if (probe.error) return `unshare not runnable (${(probe.error as NodeJS.ErrnoException).code})`;
  if (probe.status !== 0) return `unshare ${UNSHARE.join(" ")} failed: ${probe.stderr.trim()}`;
  return undefined;
}

const problem = unshareProblem();
const proven: string[] = [];

afterAll(() => {
  if (!problem) recordSection("dnsRebinding", { proven });
});

interface ProbeResult {
  selfCheck: number;
  rebind: { status: number; body: string };
  control: { status: number; body: string };
  metadataConnections: number;
  controlConnections: number;
}

async function runProbe(client: string): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), "rebinding-hosts-"));
  const hosts = join(dir, "hosts");
  writeFileSync(hosts, "127.0.0.1 localhost\n169.254.169.254 rebind.test\n127.0.0.1 control.test\n");
  const script = [
    `mount --bind '${hosts}' /etc/hosts`,
    "ip link set lo up",
    "ip addr add 169.254.169.254/32 dev lo",
    `exec '${process.execPath}' --import tsx test/hardening/support/rebinding-probe.ts ${client}`,
  ].join(" && ");
  const probe = spawnWithEnv("unshare", [...UNSHARE, "sh", "-c", script], { cwd: REPO_ROOT });
  try {
    const status = await probe.exited;
    const line = probe.stdout.find((l) => l.startsWith("{"));
    if (status.code !== 0 || !line) throw new Error(`probe failed (${status.code}):\n${probe.allOutput()}`);
    return JSON.parse(line) as ProbeResult;
  } finally {
    await probe.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(problem !== undefined)("DNS rebinding at connect time (private namespace)", () => {
  // node:https is the function's upstream client, undici the daemon's in --local mode: both resolve through the guard.
  it.each([
    "node-https",
    "undici",
  ])("%s: a name resolving to 169.254.169.254 gets 403 naming link-local/metadata, and is never dialled", async (client) => {
    const result = await runProbe(client);
    // The listener works: the probe's own test connection was counted.
    expect(result.selfCheck).toBe(1);
    expect(result.rebind.status).toBe(403);
    expect(result.rebind.body).toMatch(/rebind\.test:\d+: resolves only to link-local or metadata addresses/);
    expect(result.metadataConnections).toBe(0);
    // Same hosts file, loopback address: dialled (it is not a TLS server, so the answer is a 502).
    expect(result.controlConnections).toBeGreaterThanOrEqual(1);
    expect(result.control.status).toBe(502);
    proven.push(
      `${client}: a name resolving to 169.254.169.254 (hosts file in a private namespace) never dialled: 403`,
    );
  });
});

if (problem !== undefined) {
  describe("DNS rebinding at connect time", () => {
    it.skip(`skipped: ${problem}; needs unshare --mount --net (root, or user namespaces)`, () => {});
  });
}
