/**
 * With --proxy-token the daemon's own pages need the token too (unless --public-health): /metrics tells who
 * uses which API at what rate. The pages are asked for directly (origin-form), so the answer is the origin
 * server's 401 with `WWW-Authenticate`, not a proxy's 407 (which fetch() and browsers turn into a network error).
 * `Authorization: Bearer <token>` is the header; `Proxy-Authorization` is accepted too.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Refusal, refuse } from "../../lambda/core/refusal";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** Compares in constant time: hashing first makes the lengths equal, so timing reveals nothing. */
export function checkPageToken(expected: string, authorization: string | undefined): Refusal | undefined {
  const match = /^Bearer\s+(.+)$/i.exec((authorization ?? "").trim());
  const given = match?.[1] ?? "";
  if (match && timingSafeEqual(digest(given), digest(expected))) return undefined;
  return refuse(
    "page-token-required",
    "the daemon's pages need Authorization: Bearer <the --proxy-token> (or start it with --public-health)",
    [["WWW-Authenticate", 'Bearer realm="ssm-sign-proxy"']],
  );
}
