/**
 * The interception CA and its leaves, checked by independent verifiers: OpenSSL in strict X.509 mode (what
 * curl, wget's OpenSSL build, git and Python use) and node:crypto. Then the leaf cache's bounds and the CA
 * store's refusals.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCa, ensureCa, type LocalCa, loadCa } from "../../proxy-daemon/tls/ca-store";
import { LeafCache } from "../../proxy-daemon/tls/leaf-cache";

const work = mkdtempSync(join(tmpdir(), "tls-certificates-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function newCa(name: string): LocalCa {
  const ca = createCa(join(work, name));
  if ("kind" in ca) throw new Error(ca.message);
  return ca;
}

/** The PEM a leaf context presents, read back by a TLS handshake-free route: the cache's issued chain. */
function leafPem(cache: LeafCache, host: string): string {
  const context = cache.contextFor(host).context as unknown as { getCertificate(): Buffer | null };
  const der = context.getCertificate();
  if (!der) throw new Error("no certificate in the context");
  return new X509Certificate(der).toString();
}

describe("the CA and its leaves", () => {
  const ca = newCa("ca");

  it("the CA is a self-signed P-256 CA, valid about a year, with pathlen 0", () => {
    expect(ca.cert.ca).toBe(true);
    expect(ca.cert.checkIssued(ca.cert)).toBe(true);
    const days = (new Date(ca.cert.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(366);
    const text = execFileSync("openssl", ["x509", "-in", ca.certPath, "-noout", "-text"], {
      encoding: "utf8",
    });
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
  });

  it.each([
    "api.github.com",
    "localhost",
    "127.0.0.1",
  ])("a leaf for %s passes openssl verify -x509_strict as a TLS server", (host) => {
    const cache = new LeafCache(ca);
    const file = join(work, `${host}.pem`);
    writeFileSync(file, leafPem(cache, host));
    const verify = execFileSync(
      "openssl",
      [
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        ca.certPath,
        ...(host.match(/^\d/) ? ["-verify_ip", host] : ["-verify_hostname", host]),
        file,
      ],
      { encoding: "utf8" },
    );
    expect(verify.trim()).toBe(`${file}: OK`);
    const leaf = new X509Certificate(leafPem(cache, host));
    expect(leaf.checkHost(host) ?? leaf.checkIP(host)).toBe(host);
    const hours = (new Date(leaf.validTo).getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23);
    expect(hours).toBeLessThanOrEqual(24);
  });

  it("mints once per host and keeps at most the configured number of hosts (LRU)", () => {
    const cache = new LeafCache(ca, 3);
    for (const host of ["a.test", "b.test", "a.test", "a.test"]) cache.contextFor(host);
    expect(cache.minted).toBe(2);
    for (const host of ["c.test", "d.test"]) cache.contextFor(host);
    expect(cache.size).toBe(3);
    cache.contextFor("a.test"); // most recently used before c and d: still cached
    expect(cache.minted).toBe(4);
    cache.contextFor("b.test"); // the least recently used: evicted, minted again
    expect(cache.minted).toBe(5);
  });

  it("re-mints a leaf an hour before it expires", () => {
    let now = Date.now();
    const cache = new LeafCache(ca, 10, () => now);
    cache.contextFor("x.test");
    now += 22 * 3_600_000;
    cache.contextFor("x.test");
    expect(cache.minted).toBe(1);
    now += 1.5 * 3_600_000;
    cache.contextFor("x.test");
    expect(cache.minted).toBe(2);
  });
});

describe("the CA on disk", () => {
  it("creates the key 0600 in a 0700 directory and loads the same CA again", () => {
    const ca = newCa("fresh");
    expect(statSync(ca.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(ca.dir, "ca-key.pem")).mode & 0o777).toBe(0o600);
    const again = ensureCa(ca.dir);
    expect("kind" in again ? again.message : again.cert.fingerprint256).toBe(ca.cert.fingerprint256);
  });

  it.each([0o644, 0o640, 0o604])("refuses a key with mode %o, saying how to fix it", (mode) => {
    const ca = newCa(`loose-${mode.toString(8)}`);
    chmodSync(join(ca.dir, "ca-key.pem"), mode);
    const loaded = loadCa(ca.dir);
    expect(loaded && "kind" in loaded ? loaded.message : "loaded").toContain(
      `run: chmod 600 ${join(ca.dir, "ca-key.pem")}`,
    );
  });

  it("refuses a directory others can enter", () => {
    const ca = newCa("open-dir");
    chmodSync(ca.dir, 0o755);
    const loaded = loadCa(ca.dir);
    expect(loaded && "kind" in loaded ? loaded.message : "loaded").toContain(`run: chmod 700 ${ca.dir}`);
  });

  it("refuses an expired CA, naming the way out", () => {
    const ca = newCa("expiring");
    const later = new Date(Date.now() + 400 * 86_400_000);
    const loaded = loadCa(ca.dir, later);
    expect(loaded && "kind" in loaded ? loaded.message : "loaded").toMatch(
      /expired on .*run `ssm-sign-proxy ca init`/,
    );
  });

  it("refuses half a CA (certificate without key)", () => {
    const ca = newCa("half");
    rmSync(join(ca.dir, "ca-key.pem"));
    const loaded = loadCa(ca.dir);
    expect(loaded && "kind" in loaded ? loaded.message : "loaded").toMatch(
      /holds only one of ca.pem and ca-key.pem/,
    );
  });
});
