/** The per-host token cache: reuse until 5 minutes before expiry, one mint for concurrent requests, drop on 401. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Refusal, refuse } from "../../lambda/core/refusal";
import { type MintedToken, reuseUntil } from "../../lambda/minting/minted-token";
import { MintedTokenCache } from "../../lambda/minting/token-cache";

const MIN = 60_000;

function minter(lifetimeMs: number | undefined) {
  let n = 0;
  const mint = async (): Promise<MintedToken> => {
    n += 1;
    await new Promise((r) => setTimeout(r, 10));
    const now = Date.now();
    const expiresAt = lifetimeMs === undefined ? undefined : now + lifetimeMs;
    return {
      kind: "oauth2",
      value: `token-${n}`,
      reuseUntil: reuseUntil(now, expiresAt),
      ...(expiresAt ? { expiresAt } : {}),
    };
  };
  return { mint, count: () => n };
}

describe("minted token cache", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2026-01-01T00:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("reuses a one-hour token for 55 minutes, then mints again before use", async () => {
    const cache = new MintedTokenCache();
    const { mint, count } = minter(60 * MIN);
    const first = cache.get("h", "f", mint);
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toMatchObject({ outcome: "minted", token: { value: "token-1" } });
    vi.setSystemTime(Date.now() + 55 * MIN - 1000);
    expect(await cache.get("h", "f", mint)).toMatchObject({ outcome: "cached", token: { value: "token-1" } });
    vi.setSystemTime(Date.now() + 2000);
    const again = cache.get("h", "f", mint);
    await vi.advanceTimersByTimeAsync(10);
    expect(await again).toMatchObject({ outcome: "minted", token: { value: "token-2" } });
    expect(count()).toBe(2);
  });

  it("without a lifetime, reuses for 5 minutes; a token living 5 minutes or less, for half its life", () => {
    expect(reuseUntil(0, undefined)).toBe(5 * MIN);
    expect(reuseUntil(0, 4 * MIN)).toBe(2 * MIN);
    expect(reuseUntil(0, 5 * MIN + 1000)).toBe(1000);
  });

  it("concurrent requests share one mint; a failure is shared, not remembered", async () => {
    const cache = new MintedTokenCache();
    let calls = 0;
    const failing = async (): Promise<Refusal> => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 10));
      return refuse("token-mint-unavailable", "down");
    };
    const all = Promise.all(Array.from({ length: 50 }, () => cache.get("h", "f", failing)));
    await vi.advanceTimersByTimeAsync(10);
    expect((await all).every((r) => "code" in r && r.code === "token-mint-unavailable")).toBe(true);
    expect(calls).toBe(1);
    const { mint, count } = minter(60 * MIN);
    const next = Promise.all(Array.from({ length: 50 }, () => cache.get("h", "f", mint)));
    await vi.advanceTimersByTimeAsync(10);
    expect(new Set((await next).map((r) => ("token" in r ? r.token.value : "")))).toEqual(
      new Set(["token-1"]),
    );
    expect(count()).toBe(1);
  });

  it("drop forgets only the refused token; another fingerprint never gets this one", async () => {
    const cache = new MintedTokenCache();
    const { mint } = minter(60 * MIN);
    const first = cache.get("h", "f", mint);
    await vi.advanceTimersByTimeAsync(10);
    await first;
    cache.drop("h", "some-other-token");
    expect(await cache.get("h", "f", mint)).toMatchObject({ outcome: "cached" });
    const rotated = cache.get("h", "g", mint);
    await vi.advanceTimersByTimeAsync(10);
    expect(await rotated).toMatchObject({ outcome: "minted", token: { value: "token-2" } });
    cache.drop("h", "token-2");
    const after = cache.get("h", "g", mint);
    await vi.advanceTimersByTimeAsync(10);
    expect(await after).toMatchObject({ outcome: "minted", token: { value: "token-3" } });
  });
});
