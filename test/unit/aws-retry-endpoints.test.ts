/** The one retry loop (full jitter) and the one endpoint resolver that the SSM, Invoke and ID-token clients share. */
import { describe, expect, it } from "vitest";
import { regionalEndpoint, serviceEndpoint } from "../../lambda/aws/endpoints";
import { jitteredDelayMs, withRetries } from "../../lambda/aws/retry";

describe("withRetries", () => {
  it("retries a retryable error until an attempt succeeds", async () => {
    const seen: number[] = [];
    const value = await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error("transient");
        return "ok";
      },
      { attempts: 3, retryBaseMs: () => 1 },
    );
    expect(value).toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("throws the last error once the attempts are spent, and a non-retryable one at once", async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error(`failure ${calls}`));
    };
    await expect(withRetries(failing, { attempts: 2, retryBaseMs: () => 1 })).rejects.toThrow("failure 2");
    calls = 0;
    await expect(withRetries(failing, { attempts: 5, retryBaseMs: () => undefined })).rejects.toThrow(
      "failure 1",
    );
    expect(calls).toBe(1);
  });

  it("stops waiting when its signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(
      withRetries(() => Promise.reject(new Error("down")), {
        attempts: 10,
        retryBaseMs: () => 60_000,
        maxDelayMs: 60_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow("down");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("draws each delay uniformly below base × 2^(attempt-1), capped", () => {
    for (let i = 0; i < 200; i++) {
      expect(jitteredDelayMs(100, 1)).toBeLessThan(100);
      expect(jitteredDelayMs(100, 4)).toBeLessThan(800);
      expect(jitteredDelayMs(100, 30, 20_000)).toBeLessThan(20_000);
    }
    const spread = new Set(Array.from({ length: 20 }, () => Math.floor(jitteredDelayMs(1000, 1))));
    expect(spread.size).toBeGreaterThan(1);
  });
});

describe("serviceEndpoint", () => {
  it("prefers AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the regional endpoint", () => {
    expect(
      serviceEndpoint("ssm", "eu-west-1", { AWS_ENDPOINT_URL_SSM: "http://a", AWS_ENDPOINT_URL: "http://b" }),
    ).toBe("http://a");
    expect(
      serviceEndpoint("lambda", "eu-west-1", {
        AWS_ENDPOINT_URL_SSM: "http://a",
        AWS_ENDPOINT_URL: "http://b",
      }),
    ).toBe("http://b");
    expect(serviceEndpoint("lambda", "eu-west-1", {})).toBe("https://lambda.eu-west-1.amazonaws.com");
  });

  it("uses amazonaws.com.cn in the China regions", () => {
    expect(regionalEndpoint("ssm", "cn-north-1")).toBe("https://ssm.cn-north-1.amazonaws.com.cn");
  });
});
