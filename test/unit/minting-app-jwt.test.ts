/** The App JWT, checked the way GitHub checks it (test/support/app-jwt-check.ts, written independently). */

import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signAppJwt } from "../../lambda/minting/app-jwt";
import { checkAppJwt } from "../support/app-jwt-check";
import { appKey } from "../support/app-keys";

describe("GitHub App JWT", () => {
  it("is RS256 over iat = now - 60 s, exp = now + 9 min, iss = the App ID, and verifies with the public key", () => {
    const key = appKey();
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const jwt = signAppJwt("Iv23li123", createPrivateKey(key.privatePem), now);
    const checked = checkAppJwt(jwt, key.publicKey, "Iv23li123", now);
    expect(checked).toEqual({
      header: { alg: "RS256", typ: "JWT" },
      claims: { iat: now / 1000 - 60, exp: now / 1000 + 540, iss: "Iv23li123" },
    });
    expect(checkAppJwt(jwt, appKey().publicKey, "Iv23li123", now)).toBe(
      "signature does not verify with the App's public key",
    );
    expect(checkAppJwt(jwt, key.publicKey, "Iv23li123", now + 10 * 60_000)).toBe("exp is in the past");
  });
});
