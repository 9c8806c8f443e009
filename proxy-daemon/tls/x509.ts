/**
 * Issues the two kinds of certificate interception needs: the local CA (self-signed) and a leaf per host.
 * ECDSA P-256 keys and signatures from node:crypto: minting a leaf is one signature (about 0.1 ms), no key
 * generation per host, and every client we support (OpenSSL, GnuTLS, Go, Node, Python) accepts P-256.
 *
 * The extensions follow what strict verifiers require (Go's crypto/x509, Python 3.13's VERIFY_X509_STRICT):
 * SAN on the leaf, critical basicConstraints and keyUsage, subject and authority key identifiers.
 */
import { createHash, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import {
  bitString,
  boolean,
  explicit,
  implicit,
  namedBits,
  objectId,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./der";

const ECDSA_WITH_SHA256 = sequence(objectId("1.2.840.10045.4.3.2"));
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

export interface CertificateSpec {
  /** DER of the issuer's Name (the subject itself for the CA). */
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  /** The issuer's private key. */
  signingKey: KeyObject;
  /** The issuer's key identifier (its own for the CA). */
  authorityKeyId: Buffer;
  ca: boolean;
  /** Leaf only: the host name or IP address the certificate is for. */
  host?: string;
}

/** A Name with a common name and an organisation (DER). */
export function distinguishedName(commonName: string, organization: string): Buffer {
  const attribute = (oid: string, value: string) => set(sequence(objectId(oid), utf8String(value)));
  return sequence(attribute("2.5.4.10", organization), attribute("2.5.4.3", commonName));
}

/** RFC 5280 §4.2.1.2 method 1 in spirit: a SHA-1 of the public key (an identifier, not a security property). */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash("sha1")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest();
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectId(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

function subjectAltName(host: string): Buffer {
  if (isIPv4(host)) return sequence(implicit(7, Buffer.from(host.split(".").map(Number))));
  if (isIPv6(host)) {
    const [head = "", tail] = host.split("::");
    const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
    const h = groups(head);
    const t = tail === undefined ? [] : groups(tail);
    const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    const bytes = Buffer.alloc(16);
    for (const [i, g] of all.entries()) bytes.writeUInt16BE(g, i * 2);
    return sequence(implicit(7, bytes));
  }
  return sequence(implicit(2, Buffer.from(host, "ascii")));
}

function extensions(spec: CertificateSpec): Buffer[] {
  const list = [
    extension("2.5.29.19", true, spec.ca ? sequence(boolean(true), smallInteger(0)) : sequence()),
    extension(
      "2.5.29.15",
      true,
      spec.ca
        ? namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])
        : namedBits([KEY_USAGE.digitalSignature]),
    ),
    extension("2.5.29.14", false, octetString(keyIdentifier(spec.publicKey))),
    extension("2.5.29.35", false, sequence(implicit(0, spec.authorityKeyId))),
  ];
  if (!spec.ca) {
    list.push(extension("2.5.29.37", false, sequence(objectId("1.3.6.1.5.5.7.3.1"))));
    list.push(extension("2.5.29.17", false, subjectAltName(spec.host ?? "")));
  }
  return list;
}

/** Builds, signs and returns the certificate as PEM. */
export function issueCertificate(spec: CertificateSpec): string {
  // 16 random bytes, high bit cleared: positive, unique, within RFC 5280's 20-octet limit.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    ECDSA_WITH_SHA256,
    spec.issuer,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...extensions(spec))),
  );
  const signature = sign("sha256", tbs, spec.signingKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
