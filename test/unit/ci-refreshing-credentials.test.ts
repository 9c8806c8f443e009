/**
 * The credential cache behind keyless CI: serves cached credentials, refreshes a margin before expiry (a
 * quarter of the lifetime for short ones), fetches once however many callers wait, and rides out a failed
 * refresh while the old credentials are still valid.
 */
import type { AwsCredentialIdentity } from "@smithy/types";
import { describe, expect, it } from "vitest";
import { RETRY_PAUSE_MS, refreshingCredentials } from "../../proxy-daemon/credentials/refreshing-credentials";

const MINUTE = 60_000;

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A fetch that hands out numbered credentials expiring `lifetimeMs` after the clock's now. */
function issuer(c: ReturnType<typeof clock>, lifetimeMs: number) {
  let n = 0;
  const fetch = async (): Promise<AwsCredentialIdentity> => {
    n++;
    return {
      accessKeyId: `ASIA${n}`,
      secretAccessKey: "s",
      sessionToken: "t",
      expiration: new Date(c.now() + lifetimeMs),
    };
  };
  return fetch;
}

describe("refreshingCredentials", () => {
  it("serves cached credentials until the 5-minute margin before expiry, then fetches new ones", async () => {
    const c = clock();
    const provider = refreshingCredentials({ fetch: issuer(c, 60 * MINUTE), now: c.now });
    expect((await provider()).accessKeyId).toBe("ASIA1");
    c.advance(54 * MINUTE);
    expect((await provider()).accessKeyId).toBe("ASIA1");
    c.advance(1 * MINUTE + 1);
    expect((await provider()).accessKeyId).toBe("ASIA2");
    expect(provider.fetches).toBe(2);
  });

  it("uses a quarter of the lifetime as margin when that is shorter (short test expiries)", async () => {
    const c = clock();
    const provider = refreshingCredentials({ fetch: issuer(c, 8_000), now: c.now });
    await provider();
    c.advance(5_999);
    expect((await provider()).accessKeyId).toBe("ASIA1");
    c.advance(1);
    expect((await provider()).accessKeyId).toBe("ASIA2");
  });

  it("fetches once for many concurrent callers", async () => {
    const c = clock();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const inner = issuer(c, 60 * MINUTE);
    const provider = refreshingCredentials({
      fetch: async () => {
        await gate;
        return inner();
      },
      now: c.now,
    });
    const all = Promise.all(Array.from({ length: 20 }, () => provider()));
    release();
    const keys = new Set((await all).map((id) => id.accessKeyId));
    expect([...keys]).toEqual(["ASIA1"]);
    expect(provider.fetches).toBe(1);
  });

  it("keeps serving still-valid credentials when a refresh fails, and retries after a pause", async () => {
    const c = clock();
    const ok = issuer(c, 60 * MINUTE);
    let failing = false;
    const stale: string[] = [];
    const provider = refreshingCredentials({
      fetch: async () => {
        if (failing) throw new Error("ID token request answered HTTP 503");
        return ok();
      },
      now: c.now,
      onStaleServed: (err) => stale.push(err.message),
    });
    await provider();
    c.advance(56 * MINUTE);
    failing = true;
    expect((await provider()).accessKeyId).toBe("ASIA1");
    expect(stale).toEqual(["ID token request answered HTTP 503"]);
    // Within the pause no new attempt is made.
    await provider();
    expect(provider.fetches).toBe(2);
    failing = false;
    c.advance(RETRY_PAUSE_MS);
    expect((await provider()).accessKeyId).toBe("ASIA2");
  });

  it("throws the refresh error once the cached credentials have expired", async () => {
    const c = clock();
    const ok = issuer(c, 10 * MINUTE);
    let failing = false;
    const provider = refreshingCredentials({
      fetch: async () => {
        if (failing) throw new Error("sts: AccessDenied");
        return ok();
      },
      now: c.now,
    });
    await provider();
    failing = true;
    c.advance(10 * MINUTE);
    await expect(provider()).rejects.toThrow("sts: AccessDenied");
  });

  it("throws when the very first fetch fails, and tries again on the next call", async () => {
    let calls = 0;
    const provider = refreshingCredentials({
      fetch: async () => {
        calls++;
        if (calls === 1) throw new Error("first fails");
        return { accessKeyId: "ASIAX", secretAccessKey: "s" };
      },
    });
    await expect(provider()).rejects.toThrow("first fails");
    expect((await provider()).accessKeyId).toBe("ASIAX");
  });

  it("caches credentials without an expiration for good", async () => {
    const provider = refreshingCredentials({
      fetch: async () => ({ accessKeyId: "AKIA", secretAccessKey: "s" }),
    });
    await provider();
    await provider();
    expect(provider.fetches).toBe(1);
  });
});
