/**
 * A cache of expirable values with the properties a secret cache on Lambda needs:
 * - a TTL, so a rotated token is seen without a cold start;
 * - negative entries with their own (short) TTL, so probing unknown hosts cannot hammer the source;
 * - one in-flight load per key, shared by concurrent callers (Lambda Managed Instances run requests concurrently);
 * - stale-if-error: when a reload fails and an expired value exists, serve it (the caller logs a warning)
 *   and retry the source no sooner than `retryAfterErrorMs`.
 * Time comes from `Date.now()` so fake timers can drive it in tests.
 */

export type CacheOutcome = "hit" | "miss" | "stale";

export interface CacheResult<V> {
  value: V;
  outcome: CacheOutcome;
  /** Set when a stale value was served because the load failed. */
  error?: unknown;
}

export interface ExpirableCacheOptions<V> {
  ttlMs: number;
  negativeTtlMs: number;
  /** Whether a loaded value counts as negative (e.g. a host with no parameters). */
  isNegative: (value: V) => boolean;
  /** After a failed reload, serve the stale value this long before trying the source again. */
  retryAfterErrorMs?: number;
  /** Oldest entries are evicted beyond this many keys, so hostile host names cannot grow memory unbounded. */
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class ExpirableCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #inFlight = new Map<K, Promise<CacheResult<V>>>();
  readonly #options: Required<ExpirableCacheOptions<V>>;

  constructor(options: ExpirableCacheOptions<V>) {
    this.#options = { retryAfterErrorMs: 10_000, maxEntries: 10_000, ...options };
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value when fresh; otherwise one shared call of `load`. Rejects only when there is nothing stale. */
  get(key: K, load: () => Promise<V>): Promise<CacheResult<V>> {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > Date.now()) return Promise.resolve({ value: entry.value, outcome: "hit" });
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const loading = this.#load(key, load, entry).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, loading);
    return loading;
  }

  async #load(key: K, load: () => Promise<V>, stale: Entry<V> | undefined): Promise<CacheResult<V>> {
    try {
      const value = await load();
      const ttl = this.#options.isNegative(value) ? this.#options.negativeTtlMs : this.#options.ttlMs;
      this.#store(key, { value, expiresAt: Date.now() + ttl });
      return { value, outcome: "miss" };
    } catch (error) {
      if (!stale) throw error;
      this.#store(key, { value: stale.value, expiresAt: Date.now() + this.#options.retryAfterErrorMs });
      return { value: stale.value, outcome: "stale", error };
    }
  }

  #store(key: K, entry: Entry<V>): void {
    this.#entries.delete(key); // re-insert so Map order is least-recently-loaded first
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
