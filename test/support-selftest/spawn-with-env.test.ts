import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type SpawnedProcess, spawnNode, spawnTsx, spawnWithEnv } from "../support/spawn-with-env";

describe("spawnWithEnv", () => {
  const started: SpawnedProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it("passes extra env at process start and captures stdout and stderr lines", async () => {
    const script = `
      console.log("ready on " + process.env.EXTRA_PORT);
      process.stderr.write("canary=" + process.env.CANARY + "\\npartial");
    `;
    const proc = spawnNode(["-e", script], { env: { EXTRA_PORT: "4242", CANARY: "c4n4ry" } });
    started.push(proc);
    const match = await proc.waitForLine(/ready on (\d+)/);
    expect(match[1]).toBe("4242");
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout).toEqual(["ready on 4242"]);
    expect(proc.stderr).toEqual(["canary=c4n4ry", "partial"]);
    expect(proc.allOutput()).toContain("c4n4ry");
  });

  it("removes variables set to undefined and can start from an empty environment", async () => {
    process.env.SPAWN_SELFTEST_VAR = "inherited";
    try {
      const inherited = spawnNode(["-p", "process.env.SPAWN_SELFTEST_VAR ?? 'unset'"]);
      const removed = spawnNode(["-p", "process.env.SPAWN_SELFTEST_VAR ?? 'unset'"], {
        env: { SPAWN_SELFTEST_VAR: undefined },
      });
      const empty = spawnNode(["-p", "Object.keys(process.env).filter(k => k !== 'ONLY').length"], {
        inheritEnv: false,
        env: { ONLY: "1" },
      });
      started.push(inherited, removed, empty);
      await Promise.all([inherited.exited, removed.exited, empty.exited]);
      expect(inherited.stdout).toEqual(["inherited"]);
      expect(removed.stdout).toEqual(["unset"]);
      expect(empty.stdout).toEqual(["0"]);
    } finally {
      delete process.env.SPAWN_SELFTEST_VAR;
    }
  });

  it("waitForLine rejects with the output tail when the process exits without a match", async () => {
    const proc = spawnNode(["-e", "console.error('boom: bad flag'); process.exit(3)"]);
    started.push(proc);
    await expect(proc.waitForLine(/listening/)).rejects.toThrow(/exited \(code 3[\s\S]*boom: bad flag/);
  });

  it("waitForLine rejects after its timeout", async () => {
    const proc = spawnNode(["-e", "setInterval(() => {}, 1000)"]);
    started.push(proc);
    await expect(proc.waitForLine(/never/, { timeoutMs: 200 })).rejects.toThrow(/no match within 200 ms/);
  });

  it("stop() ends the whole process group, grandchildren included", async () => {
    const proc = spawnWithEnv("sh", ["-c", "sleep 30 & echo grandchild $!; wait"]);
    started.push(proc);
    const pid = Number((await proc.waitForLine(/grandchild (\d+)/))[1]);
    expect(isAlive(pid)).toBe(true);
    const status = await proc.stop();
    expect(status.signal ?? status.code).toBeTruthy();
    await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(pid)).toBe(false);
  });

  it("spawnTsx runs a TypeScript file", async () => {
    const proc = spawnTsx("test/support-selftest/fixtures/hello.ts", ["world"]);
    started.push(proc);
    await expect(proc.waitForLine(/^hello world from TypeScript$/)).resolves.toBeTruthy();
  });
});

/** True while the process runs; a zombie (killed, not yet reaped by a container's init) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
