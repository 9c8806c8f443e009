/**
 * The JWT a GitHub App presents to ask for an installation token: RS256, `iat` 60 s in the past (GitHub's advice
 * against clock drift), `exp` 9 minutes ahead (GitHub refuses more than 10), `iss` = the App ID or Client ID.
 * node:crypto signs it: one token, one signature, no library needed (and none in the bundle).
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 */
import { type KeyObject, sign } from "node:crypto";

export const JWT_BACKDATE_SECONDS = 60;
export const JWT_LIFETIME_SECONDS = 9 * 60;

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

export interface AppJwtClaims {
  iat: number;
  exp: number;
  iss: string;
}

export function appJwtClaims(appId: string, nowMs: number): AppJwtClaims {
  const now = Math.floor(nowMs / 1000);
  return { iat: now - JWT_BACKDATE_SECONDS, exp: now + JWT_LIFETIME_SECONDS, iss: appId };
}

/** Signs the claims with the App's RSA key. The result is a credential: never log it. */
export function signAppJwt(appId: string, privateKey: KeyObject, nowMs = Date.now()): string {
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify(appJwtClaims(appId, nowMs)));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}
