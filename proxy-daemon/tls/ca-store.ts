/**
 * The local CA on disk: `ca.pem` (certificate, may be shared) and `ca-key.pem` (private key, mode 0600 in a
 * 0700 directory). Created on first use; an existing key others can read is refused, because whoever reads it
 * can impersonate every HTTPS site to this host's clients. The key is never logged and never leaves the host.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { children } from "./der";
import { distinguishedName, issueCertificate, keyIdentifier } from "./x509";

export const CA_FILE = "ca.pem";
export const CA_KEY_FILE = "ca-key.pem";
export const BUNDLE_FILE = "bundle.pem";
const CA_VALIDITY_DAYS = 365;
const DAY_MS = 24 * 3600 * 1000;

export interface LocalCa {
  dir: string;
  certPath: string;
  certPem: string;
  cert: X509Certificate;
  key: KeyObject;
  /** DER of the CA's subject: the issuer of every leaf. */
  subject: Buffer;
  keyId: Buffer;
}

export interface CaError {
  kind: "ca-error";
  message: string;
}

const caError = (message: string): CaError => ({ kind: "ca-error", message });

/** `--ca-dir`, else `$XDG_STATE_HOME/ssm-sign-proxy`, else `~/.local/state/ssm-sign-proxy`. */
export function defaultCaDir(env: Readonly<Record<string, string | undefined>>): string {
  const state = env.XDG_STATE_HOME;
  if (state) return join(state, "ssm-sign-proxy");
  return join(env.HOME || homedir(), ".local", "state", "ssm-sign-proxy");
}

function modeProblem(path: string, allowed: number, fix: string): CaError | undefined {
  const mode = statSync(path).mode & 0o777;
  if ((mode & ~allowed) === 0) return undefined;
  return caError(
    `${path} has mode ${mode.toString(8).padStart(4, "0")}: others can read the CA key and impersonate any site; ${fix}`,
  );
}

/** Reads the CA in `dir`; `undefined` when there is none yet. */
export function loadCa(dir: string, now = new Date()): LocalCa | CaError | undefined {
  const certPath = join(dir, CA_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  if (!existsSync(keyPath) && !existsSync(certPath)) return undefined;
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    return caError(
      `${dir} holds only one of ${CA_FILE} and ${CA_KEY_FILE}: remove the other (and the CA from trust stores) to make a new CA`,
    );
  }
  const problem =
    modeProblem(keyPath, 0o600, `run: chmod 600 ${keyPath} (or remove ${dir} to make a new CA)`) ??
    modeProblem(dir, 0o700, `run: chmod 700 ${dir}`);
  if (problem) return problem;
  try {
    const certPem = readFileSync(certPath, "utf8");
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(readFileSync(keyPath));
    if (!cert.checkPrivateKey(key)) return caError(`${keyPath} is not the key of ${certPath}`);
    if (new Date(cert.validTo) <= now) {
      return caError(
        `the CA in ${certPath} expired on ${cert.validTo}: remove ${dir}, run \`ssm-sign-proxy ca init\` and install the new CA`,
      );
    }
    const tbs = children(cert.raw)[0] ?? Buffer.alloc(0);
    const subject = children(tbs)[5] ?? Buffer.alloc(0);
    return { dir, certPath, certPem, cert, key, subject, keyId: keyIdentifier(cert.publicKey) };
  } catch (err) {
    return caError(`cannot read the CA in ${dir}: ${(err as Error).message}`);
  }
}

/** Creates a new CA in `dir` (which must not hold one). */
export function createCa(dir: string, now = new Date()): LocalCa | CaError {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const subject = distinguishedName(`ssm-sign-proxy local CA (${hostname()})`, "ssm-sign-proxy");
    const keyId = keyIdentifier(publicKey);
    const certPem = issueCertificate({
      issuer: subject,
      subject,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
      publicKey,
      signingKey: privateKey,
      authorityKeyId: keyId,
      ca: true,
    });
    // "wx": never overwrite a key another process just wrote.
    writeFileSync(join(dir, CA_KEY_FILE), privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o600,
      flag: "wx",
    });
    writeFileSync(join(dir, CA_FILE), certPem, { mode: 0o644, flag: "wx" });
  } catch (err) {
    return caError(`cannot create the CA in ${dir}: ${(err as Error).message}`);
  }
  return loadCa(dir, now) ?? caError(`the CA in ${dir} vanished while it was created`);
}

export function ensureCa(dir: string): LocalCa | CaError {
  return loadCa(dir) ?? createCa(dir);
}

/** Whether the CA's remaining validity is short enough to warn about (30 days). */
export function expiresSoon(ca: LocalCa, now = new Date()): boolean {
  return new Date(ca.cert.validTo).getTime() - now.getTime() < 30 * DAY_MS;
}
