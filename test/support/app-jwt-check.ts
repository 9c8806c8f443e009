/**
 * What GitHub checks in an App JWT, done independently of the code under test: RS256 signature against the App's
 * public key, `iss` = the App ID, `iat` in the past (GitHub's advice: 60 s, for clock drift), `exp` in the
 * future and at most 10 minutes ahead. Returns the problem, or undefined when GitHub would accept it.
 */
import { type KeyObject, verify } from "node:crypto";

export interface CheckedJwt {
  header: Record<string, unknown>;
  claims: { iat: number; exp: number; iss: string };
}

export function checkAppJwt(
  jwt: string,
  publicKey: KeyObject,
  appId: string,
  nowMs = Date.now(),
): CheckedJwt | string {
  const parts = jwt.split(".");
  if (parts.length !== 3) return "not a JWT";
  const [h, p, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return "JWT parts are not base64url JSON";
  }
  if (header.alg !== "RS256") return `alg is ${String(header.alg)}, not RS256`;
  if (!verify("sha256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url")))
    return "signature does not verify with the App's public key";
  const now = Math.floor(nowMs / 1000);
  const { iat, exp, iss } = claims;
  if (typeof iat !== "number" || typeof exp !== "number") return "iat/exp missing";
  if (iss !== appId) return `iss is ${String(iss)}, not the App ID`;
  if (iat > now - 30) return "iat is not backdated (GitHub advises 60 s for clock drift)";
  if (exp <= now) return "exp is in the past";
  if (exp > now + 600) return "exp is more than 10 minutes ahead";
  return { header, claims: { iat, exp, iss } };
}
