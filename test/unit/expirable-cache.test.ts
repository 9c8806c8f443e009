import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExpirableCache } from "../../lambda/parameters/expirable-cache";

function cache(maxEntries?: number) {
  return new ExpirableCache<string, string[]>({
    ttlMs: 300_000,
    negativeTtlMs: 30_000,
    retryAfterErrorMs: 10_000,
    isNegative: (v) => v.length === 0,
    ...(maxEntries ? { maxEntries } : {}),
  });
}

describe("expirable cache", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("serves a loaded value until its TTL, then reloads (a rotated token is seen)", async () => {
    const c = cache();
    const load = vi.fn().mockResolvedValueOnce(["v1"]).mockResolvedValueOnce(["v2"]);
    expect(await c.get("h", load)).toEqual({ value: ["v1"], outcome: "miss" });
    vi.advanceTimersByTime(299_999);
    expect(await c.get("h", load)).toEqual({ value: ["v1"], outcome: "hit" });
    vi.advanceTimersByTime(1);
    expect(await c.get("h", load)).toEqual({ value: ["v2"], outcome: "miss" });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("remembers negative results for the shorter negative TTL", async () => {
    const c = cache();
    const load = vi.fn().mockResolvedValue([]);
    await c.get("unknown", load);
    vi.advanceTimersByTime(29_999);
    expect((await c.get("unknown", load)).outcome).toBe("hit");
    vi.advanceTimersByTime(1);
    expect((await c.get("unknown", load)).outcome).toBe("miss");
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("shares one in-flight load between concurrent callers", async () => {
    const c = cache();
    let release: (v: string[]) => void = () => {};
    const load = vi.fn(
      () =>
        new Promise<string[]>((resolve) => {
          release = resolve;
        }),
    );
    const all = Promise.all([c.get("h", load), c.get("h", load), c.get("h", load)]);
    release(["v"]);
    const results = await all;
    expect(load).toHaveBeenCalledTimes(1);
    expect(results.map((r) => r.value)).toEqual([["v"], ["v"], ["v"]]);
  });

  it("serves the stale value when a reload fails, and retries the source only after retryAfterErrorMs", async () => {
    const c = cache();
    const failure = new Error("ssm down");
    const load = vi
      .fn()
      .mockResolvedValueOnce(["v1"])
      .mockRejectedValueOnce(failure)
      .mockResolvedValueOnce(["v2"]);
    await c.get("h", load);
    vi.advanceTimersByTime(300_000);
    expect(await c.get("h", load)).toEqual({ value: ["v1"], outcome: "stale", error: failure });
    vi.advanceTimersByTime(9_999);
    expect((await c.get("h", load)).outcome).toBe("hit");
    vi.advanceTimersByTime(1);
    expect(await c.get("h", load)).toEqual({ value: ["v2"], outcome: "miss" });
    expect(load).toHaveBeenCalledTimes(3);
  });

  it("rejects when the load fails and nothing stale exists, and tries again next time", async () => {
    const c = cache();
    const load = vi.fn().mockRejectedValueOnce(new Error("denied")).mockResolvedValueOnce(["v"]);
    await expect(c.get("h", load)).rejects.toThrow("denied");
    expect((await c.get("h", load)).outcome).toBe("miss");
  });

  it("evicts the oldest keys beyond maxEntries", async () => {
    const c = cache(2);
    await c.get("a", async () => ["a"]);
    await c.get("b", async () => ["b"]);
    await c.get("c", async () => ["c"]);
    expect(c.size).toBe(2);
    const reload = vi.fn(async () => ["a2"]);
    expect((await c.get("a", reload)).outcome).toBe("miss");
  });
});
