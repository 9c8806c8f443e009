/**
 * One retry loop for every AWS-ish call we make by hand (SSM, Lambda Invoke, the GitHub ID-token endpoint):
 * the SDK's standard retry mode, full jitter (a random delay up to base × 2^(attempt-1), capped), so that a
 * fleet that failed together does not retry together.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** The base delay in ms if `error` is worth another attempt, else undefined. */
  retryBaseMs: (error: unknown) => number | undefined;
  /** @default 20 000 */
  maxDelayMs?: number;
  /** Stops waiting (and retrying) once aborted; the last error is thrown. */
  signal?: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The delay before attempt `attempt + 1`: uniform in [0, min(max, base × 2^(attempt-1))). */
export function jitteredDelayMs(baseMs: number, attempt: number, maxDelayMs = 20_000): number {
  return Math.random() * Math.min(maxDelayMs, baseMs * 2 ** (attempt - 1));
}

export async function withRetries<T>(run: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const attempts = Math.max(1, policy.attempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      const base = attempt < attempts && !policy.signal?.aborted ? policy.retryBaseMs(error) : undefined;
      if (base === undefined) throw error;
      await sleep(jitteredDelayMs(base, attempt, policy.maxDelayMs), policy.signal);
      if (policy.signal?.aborted) throw error;
    }
  }
}
