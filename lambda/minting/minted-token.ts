/** A token the function minted, and how long it may be reused. */
import type { MintedKind } from "../signing/token-source-types";

export interface MintedToken {
  kind: MintedKind;
  /** The credential itself: goes out as `Authorization: Bearer <value>`, never into a log or a body. */
  value: string;
  /** When the issuer says it expires (ms since epoch), if it said. */
  expiresAt?: number;
  /** Reused until then; minted again after. */
  reuseUntil: number;
}

/** A token is minted again this long before it expires, so no request carries one that dies on the way. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** An OAuth2 answer without `expires_in` is reused at most this long. */
export const UNKNOWN_LIFETIME_REUSE_MS = 5 * 60_000;

/**
 * Until when a token issued at `nowMs` may be reused: until 5 minutes before it expires. A token that lives
 * 5 minutes or less from the start would then be minted for every request, so it is reused for half its lifetime
 * instead. Without a known lifetime: 5 minutes.
 */
export function reuseUntil(nowMs: number, expiresAt: number | undefined): number {
  if (expiresAt === undefined) return nowMs + UNKNOWN_LIFETIME_REUSE_MS;
  if (expiresAt - REFRESH_MARGIN_MS > nowMs) return expiresAt - REFRESH_MARGIN_MS;
  return nowMs + Math.max(0, Math.floor((expiresAt - nowMs) / 2));
}
