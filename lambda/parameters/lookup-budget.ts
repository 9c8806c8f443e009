/**
 * A per-instance budget for Parameter Store reads of host names the cache does not know: a token bucket.
 * Distinct unknown names each cost one GetParametersByPath, so without it any client could spend the account's
 * shared SSM rate (and starve the real hosts' reloads). Known hosts are never limited: their reloads are what
 * the budget protects. Time comes from `Date.now()` so fake timers can drive it.
 */

export interface LookupBudgetOptions {
  /** Lookups allowed in a burst. @default 100 */
  burst?: number;
  /** Lookups regained per second. @default 10 */
  perSecond?: number;
}

export class LookupBudget {
  readonly #burst: number;
  readonly #perSecond: number;
  #tokens: number;
  #updated = Date.now();
  #refused = 0;

  constructor(options: LookupBudgetOptions = {}) {
    this.#burst = Math.max(1, options.burst ?? 100);
    this.#perSecond = Math.max(0, options.perSecond ?? 10);
    this.#tokens = this.#burst;
  }

  /** Spends one lookup if any is left. */
  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updated) / 1000) * this.#perSecond);
    this.#updated = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#refused += 1;
    return false;
  }

  /** Seconds until the next lookup is allowed: what Retry-After says. */
  retryAfterSeconds(): number {
    if (this.#perSecond === 0) return 60;
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.#perSecond));
  }

  /** Refusals since the last call, for one log line per interval rather than one per request. */
  drainRefused(): number {
    const refused = this.#refused;
    this.#refused = 0;
    return refused;
  }
}
