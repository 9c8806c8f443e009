import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A certificate authority and one server certificate it signed, as files and as PEM strings. */
export interface TestCa {
  /** The temp directory holding the files; removed when the process exits. */
  dir: string;
  /** CA certificate file: what a client process gets in NODE_EXTRA_CA_CERTS (read at process start). */
  caFile: string;
  caPem: string;
  /** Server (leaf) certificate for `localhost`, `127.0.0.1` and `::1`, signed by this CA. */
  certFile: string;
  certPem: string;
  keyFile: string;
  keyPem: string;
}

let trusted: Promise<TestCa> | undefined;
let untrusted: Promise<TestCa> | undefined;
const dirsToRemove: string[] = [];

/**
 * The test run's CA (one per process, generated with the openssl CLI on first use) and a leaf certificate
 * with SANs `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`. Trust it by starting child processes with
 * `NODE_EXTRA_CA_CERTS=caFile`, or in-process with `ca: caPem` on an https/undici agent.
 */
export function testCa(): Promise<TestCa> {
  trusted ??= generateCa("ssm-sign-proxy test CA");
  return trusted;
}

/**
 * A second, independent CA and leaf that nothing trusts: serve its leaf to test "bad certificate" handling.
 * The leaf is otherwise valid (same SANs, not expired), so the only fault is the unknown issuer.
 */
export function untrustedCa(): Promise<TestCa> {
  untrusted ??= generateCa("ssm-sign-proxy UNTRUSTED test CA");
  return untrusted;
}

async function generateCa(commonName: string): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "sign-proxy-ca-"));
  if (dirsToRemove.length === 0) process.once("exit", removeDirs);
  dirsToRemove.push(dir);
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  const keyFile = join(dir, "leaf.key");
  const csrFile = join(dir, "leaf.csr");
  const certFile = join(dir, "leaf.crt");
  const extFile = join(dir, "leaf.ext");

  // P-256 keys: generated in milliseconds, unlike RSA, and accepted by every client we test with.
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  // biome-ignore format: openssl flags read best in pairs
  await run("openssl", [
    "req", "-x509", ...ecKey, "-keyout", caKey, "-out", caFile, "-days", "7", "-subj", `/CN=${commonName}`,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run("openssl", ["req", ...ecKey, "-keyout", keyFile, "-out", csrFile, "-subj", "/CN=localhost"]);
  await writeFile(
    extFile,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
      "",
    ].join("\n"),
  );
  // biome-ignore format: openssl flags read best in pairs
  await run("openssl", [
    "x509", "-req", "-in", csrFile, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
    "-out", certFile, "-days", "7", "-extfile", extFile,
  ]);

  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(caFile, "utf8"),
    readFile(certFile, "utf8"),
    readFile(keyFile, "utf8"),
  ]);
  return { dir, caFile, caPem, certFile, certPem, keyFile, keyPem };
}

function removeDirs(): void {
  for (const dir of dirsToRemove) rmSync(dir, { recursive: true, force: true });
}
