/** The cache and lookup-budget rules that keep a flood of unknown host names from evicting or costing much. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExpirableCache } from "../../lambda/parameters/expirable-cache";
import { LookupBudget } from "../../lambda/parameters/lookup-budget";

function cache(maxEntries: number, maxNegativeEntries: number) {
  return new ExpirableCache<string, string[]>({
    ttlMs: 300_000,
    negativeTtlMs: 30_000,
    isNegative: (v) => v.length === 0,
    maxEntries,
    maxNegativeEntries,
  });
}

describe("expirable cache under a flood", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("keeps negative entries in their own set: any number of unknown names never evicts a known host", async () => {
    const c = cache(2, 3);
    await c.get("real", async () => ["token"]);
    for (let i = 0; i < 1000; i += 1) await c.get(`unknown-${i}`, async () => []);
    expect(c.size).toBe(1 + 3);
    const reload = vi.fn(async () => ["other"]);
    expect(await c.get("real", reload)).toEqual({ value: ["token"], outcome: "hit" });
    expect(reload).not.toHaveBeenCalled();
  });

  it("evicts the least recently used entry: a hit moves a host to the back", async () => {
    const c = cache(2, 2);
    await c.get("a", async () => ["a"]);
    await c.get("b", async () => ["b"]);
    expect((await c.get("a", async () => ["a2"])).outcome).toBe("hit");
    await c.get("c", async () => ["c"]);
    // b was least recently used, not a (the least recently loaded).
    expect((await c.get("a", async () => ["a3"])).outcome).toBe("hit");
    expect((await c.get("b", async () => ["b2"])).outcome).toBe("miss");
  });

  it("moves a host between the sets when its parameters appear or disappear", async () => {
    const c = cache(2, 2);
    await c.get("h", async () => []);
    vi.advanceTimersByTime(30_000);
    expect((await c.get("h", async () => ["now"])).value).toEqual(["now"]);
    expect(c.size).toBe(1);
    vi.advanceTimersByTime(300_000);
    expect((await c.get("h", async () => [])).value).toEqual([]);
    expect(c.size).toBe(1);
  });

  it("knows a key with a fresh entry, any positive entry (a stale copy to fall back on) or a load under way", async () => {
    const c = cache(2, 2);
    expect(c.knows("h")).toBe(false);
    let release: (v: string[]) => void = () => {};
    const pending = c.get("h", () => new Promise<string[]>((resolve) => (release = resolve)));
    expect(c.knows("h")).toBe(true);
    release(["v"]);
    await pending;
    vi.advanceTimersByTime(400_000);
    expect(c.knows("h")).toBe(true);
    await c.get("n", async () => []);
    expect(c.knows("n")).toBe(true);
    vi.advanceTimersByTime(30_000);
    expect(c.knows("n")).toBe(false);
  });
});

describe("lookup budget", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("allows a burst, then the refill rate, and counts refusals for one log line per interval", () => {
    const budget = new LookupBudget({ burst: 3, perSecond: 2 });
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
    expect(budget.retryAfterSeconds()).toBe(1);
    vi.advanceTimersByTime(500);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
    expect(budget.drainRefused()).toBe(2);
    expect(budget.drainRefused()).toBe(0);
    vi.advanceTimersByTime(60_000);
    // Refills up to the burst, never beyond.
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, true, false]);
  });
});
