/**
 * The combined trust bundle written next to the CA: the system's roots plus our CA. `SSL_CERT_FILE` and its
 * kin replace a tool's trust store rather than adding to it, so our CA alone would break every other host.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { BUNDLE_FILE, type LocalCa } from "../tls/ca-store";

/** Debian/Ubuntu, RHEL/Amazon Linux (two spellings), SUSE, Alpine/macOS-style. */
export const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** The system's roots as PEM; Node's built-in Mozilla list when the host has none. */
export function systemRoots(candidates: readonly string[] = SYSTEM_BUNDLES): { pem: string; source: string } {
  for (const path of candidates) {
    if (existsSync(path)) return { pem: readFileSync(path, "utf8"), source: path };
  }
  return { pem: `${rootCertificates.join("\n")}\n`, source: "node:tls rootCertificates" };
}

/** Writes `bundle.pem` (system roots + our CA) next to the CA, atomically; returns its path. */
export function writeBundle(ca: LocalCa, candidates?: readonly string[]): string {
  const roots = systemRoots(candidates).pem;
  const path = join(ca.dir, BUNDLE_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  const separator = roots.endsWith("\n") ? "" : "\n";
  writeFileSync(temp, `${roots}${separator}# ssm-sign-proxy local CA\n${ca.certPem}`, { mode: 0o644 });
  renameSync(temp, path);
  return path;
}
