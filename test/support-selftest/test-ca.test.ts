import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { testCa, untrustedCa } from "../support/test-ca";

describe("testCa / untrustedCa", () => {
  it("issues a server certificate for localhost, 127.0.0.1 and ::1, signed by the CA", async () => {
    const ca = await testCa();
    const leaf = new X509Certificate(ca.certPem);
    const root = new X509Certificate(ca.caPem);
    expect(leaf.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(root.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(await readFile(ca.caFile, "utf8")).toBe(ca.caPem);
  });

  it("is generated once per process", async () => {
    const [a, b] = await Promise.all([testCa(), testCa()]);
    expect(a).toBe(b);
  });

  it("has an untrusted twin that the trusted CA did not sign", async () => {
    const ca = await testCa();
    const bad = await untrustedCa();
    const badLeaf = new X509Certificate(bad.certPem);
    expect(badLeaf.subjectAltName).toContain("DNS:localhost");
    expect(badLeaf.checkIssued(new X509Certificate(ca.caPem))).toBe(false);
    expect(badLeaf.verify(new X509Certificate(ca.caPem).publicKey)).toBe(false);
  });
});
