/** RSA key pairs for GitHub App tests, generated at test time (the private key in the PKCS#1 PEM GitHub downloads). */
import { generateKeyPairSync, type KeyObject } from "node:crypto";

export interface AppKey {
  /** What `github-app/private-key` holds. Secret: tests check it never shows up in output. */
  privatePem: string;
  publicKey: KeyObject;
}

export function appKey(): AppKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privatePem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(), publicKey };
}
