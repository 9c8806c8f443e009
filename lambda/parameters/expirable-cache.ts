/**
 * A cache of expirable values with the properties a secret cache on Lambda needs:
 * - a TTL, so a rotated token is seen without a cold start;
 * - negative entries with their own (short) TTL in their own, smaller bounded set, so probing unknown hosts
 *   cannot hammer the source, and a flood of unknown names can never evict a known host;
 * - least-recently-*used* eviction: a hit moves an entry to the back, so a busy host is never the oldest;
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
  /** Least recently used positive entries are evicted beyond this many keys. @default 10000 */
  maxEntries?: number;
  /** The same for negative entries, kept apart so unknown names never push out known ones. @default 1000 */
  maxNegativeEntries?: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class ExpirableCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #negative = new Map<K, Entry<V>>();
  readonly #inFlight = new Map<K, Promise<CacheResult<V>>>();
  readonly #options: Required<ExpirableCacheOptions<V>>;

  constructor(options: ExpirableCacheOptions<V>) {
    this.#options = { retryAfterErrorMs: 10_000, maxEntries: 10_000, maxNegativeEntries: 1_000, ...options };
  }

  /** Positive and negative entries together. */
  get size(): number {
    return this.#entries.size + this.#negative.size;
  }

  /**
   * Whether `get` would answer without asking anybody new: a fresh entry, a positive entry (fresh or a stale
   * one it may fall back to), or a load already under way. Callers rate-limit loads of keys it does not know.
   */
  knows(key: K): boolean {
    if (this.#entries.has(key) || this.#inFlight.has(key)) return true;
    const negative = this.#negative.get(key);
    return negative !== undefined && negative.expiresAt > Date.now();
  }

  /** The cached value when fresh; otherwise one shared call of `load`. Rejects only when there is nothing stale. */
  get(key: K, load: () => Promise<V>): Promise<CacheResult<V>> {
    const positive = this.#entries.get(key);
    const entry = positive ?? this.#negative.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      // Least recently used goes first: a hit moves the entry to the back of its set.
      const set = positive ? this.#entries : this.#negative;
      set.delete(key);
      set.set(key, entry);
      return Promise.resolve({ value: entry.value, outcome: "hit" });
    }
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const loading = this.#load(key, load, entry).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, loading);
    return loading;
  }

  async #load(key: K, load: () => Promise<V>, stale: Entry<V> | undefined): Promise<CacheResult<V>> {
    try {
      const value = await load();
      const negative = this.#options.isNegative(value);
      const ttl = negative ? this.#options.negativeTtlMs : this.#options.ttlMs;
      this.#store(key, { value, expiresAt: Date.now() + ttl }, negative);
      return { value, outcome: "miss" };
    } catch (error) {
      if (!stale) throw error;
      this.#store(
        key,
        { value: stale.value, expiresAt: Date.now() + this.#options.retryAfterErrorMs },
        this.#options.isNegative(stale.value),
      );
      return { value: stale.value, outcome: "stale", error };
    }
  }

  #store(key: K, entry: Entry<V>, negative: boolean): void {
    const [set, other, max] = negative
      ? [this.#negative, this.#entries, this.#options.maxNegativeEntries]
      : [this.#entries, this.#negative, this.#options.maxEntries];
    other.delete(key);
    set.delete(key); // re-insert so Map order is least-recently-used first
    set.set(key, entry);
    while (set.size > max) {
      const oldest = set.keys().next();
      if (oldest.done) break;
      set.delete(oldest.value);
    }
  }
}
