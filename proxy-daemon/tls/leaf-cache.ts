/**
 * Leaf certificates for intercepted hosts: minted on first use, kept in a bounded LRU as ready TLS contexts.
 * One key pair serves every leaf (made at start, held in memory only), so minting is one ECDSA signature;
 * leaves live 24 h and are re-minted an hour before they expire.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createSecureContext, type SecureContext } from "node:tls";
import type { LocalCa } from "./ca-store";
import { distinguishedName, issueCertificate } from "./x509";

const LEAF_LIFETIME_MS = 24 * 3600_000;
const RENEW_BEFORE_MS = 3600_000;
export const DEFAULT_LEAF_CACHE_SIZE = 1000;

interface Entry {
  context: SecureContext;
  renewAt: number;
}

export class LeafCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keyPair: { privateKey: KeyObject; publicKey: KeyObject };
  private readonly keyPem: string;
  /** Leaves minted so far (the bench checks one per host). */
  minted = 0;

  constructor(
    private readonly ca: LocalCa,
    private readonly maxEntries = DEFAULT_LEAF_CACHE_SIZE,
    private readonly now: () => number = Date.now,
    /** Told each time a leaf is minted (the daemon logs it: once per host per day is the expected rate). */
    private readonly onMint: (host: string) => void = () => {},
  ) {
    this.keyPair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.keyPem = this.keyPair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The TLS context presenting a leaf for `host` (a lower-case name or IP literal without brackets). */
  contextFor(host: string): SecureContext {
    const now = this.now();
    const hit = this.entries.get(host);
    if (hit && hit.renewAt > now) {
      this.entries.delete(host);
      this.entries.set(host, hit);
      return hit.context;
    }
    const caEnd = new Date(this.ca.cert.validTo).getTime();
    const notAfter = Math.min(now + LEAF_LIFETIME_MS, caEnd);
    const cert = issueCertificate({
      issuer: this.ca.subject,
      subject: distinguishedName(host, "ssm-sign-proxy interception"),
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(notAfter),
      publicKey: this.keyPair.publicKey,
      signingKey: this.ca.key,
      authorityKeyId: this.ca.keyId,
      ca: false,
      host,
    });
    this.minted++;
    this.onMint(host);
    const context = createSecureContext({
      key: this.keyPem,
      cert: `${cert}${this.ca.certPem}`,
      minVersion: "TLSv1.2",
    });
    this.entries.delete(host);
    this.entries.set(host, { context, renewAt: notAfter - RENEW_BEFORE_MS });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return context;
  }
}
