/**
 * Caches expiring credentials and fetches new ones a margin before they expire, one fetch at a time however
 * many requests ask at once. If a refresh fails while the cached credentials are still valid, those are
 * served (and the refresh tried again after a pause), so a brief outage of the token issuer or STS does not
 * fail requests.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

/** The SDK's own clients treat credentials as stale 5 minutes before expiry; refreshing later is pointless. */
export const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
/** Wait between refresh attempts while the cached credentials still work. */
export const RETRY_PAUSE_MS = 10_000;

export interface RefreshingCredentialsOptions {
  /** Gets new credentials; they must carry `expiration`, or they are cached for good. */
  fetch: () => Promise<AwsCredentialIdentity>;
  /** Refresh this long before expiry, capped at a quarter of the lifetime (so short test expiries work). */
  marginMs?: number;
  now?: () => number;
  /** Told when a refresh failed but the cached credentials were served instead. */
  onStaleServed?: (error: Error, expiration: Date) => void;
}

export interface RefreshingCredentials extends AwsCredentialIdentityProvider {
  /** How many times `fetch` has been called (for metrics and tests). */
  readonly fetches: number;
  /** Forget the cached credentials (the service said they expired): the next call fetches new ones. */
  invalidate(): void;
}

interface Cached {
  identity: AwsCredentialIdentity;
  /** When to refresh (epoch ms); Infinity for credentials without expiry. */
  refreshAt: number;
}

export function refreshingCredentials(options: RefreshingCredentialsOptions): RefreshingCredentials {
  const now = options.now ?? Date.now;
  const margin = options.marginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  let cached: Cached | undefined;
  let inFlight: Promise<AwsCredentialIdentity> | undefined;
  let retryAfter = 0;
  let fetches = 0;

  const refresh = (): Promise<AwsCredentialIdentity> => {
    if (inFlight) return inFlight;
    const started = now();
    fetches++;
    inFlight = options
      .fetch()
      .then((identity) => {
        const expires = identity.expiration?.getTime();
        const lifetime = expires === undefined ? Number.POSITIVE_INFINITY : expires - started;
        const refreshAt =
          expires === undefined ? Number.POSITIVE_INFINITY : expires - Math.min(margin, lifetime / 4);
        cached = { identity, refreshAt };
        retryAfter = 0;
        return identity;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const provider = async (): Promise<AwsCredentialIdentity> => {
    const t = now();
    if (cached && t < cached.refreshAt) return cached.identity;
    const expiration = cached?.identity.expiration;
    const stillValid = cached !== undefined && expiration !== undefined && t < expiration.getTime();
    if (cached && stillValid && t < retryAfter) return cached.identity;
    try {
      return await refresh();
    } catch (err) {
      if (!cached || !stillValid || !expiration) throw err;
      retryAfter = now() + RETRY_PAUSE_MS;
      options.onStaleServed?.(err as Error, expiration);
      return cached.identity;
    }
  };
  const invalidate = () => {
    cached = undefined;
    retryAfter = 0;
  };
  return Object.defineProperties(provider, {
    fetches: { get: () => fetches },
    invalidate: { value: invalidate },
  }) as RefreshingCredentials;
}
