/**
 * Runs inside a private mount + network namespace (see connect-gh.test.ts): /etc/hosts maps `ghe.test` to
 * 127.0.0.1 and `meta.test` to 169.254.169.254 (an address of the namespace's loopback). It starts a fake
 * GitHub Enterprise API on port 443 for ghe.test (its own CA, trusted by the daemon only), the daemon with
 * --intercept and `--tunnel meta.test`, then `gh api` with a placeholder token, and a CONNECT to meta.test.
 * Prints one JSON line with what each side saw.
 * Usage: node --import tsx gh-probe.ts
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createCa } from "../../proxy-daemon/tls/ca-store";
import { distinguishedName, issueCertificate } from "../../proxy-daemon/tls/x509";
import { openTunnel } from "../hardening/support/connect-client";
import { startDaemonProcess } from "./daemon-process";
import { paramsFile } from "./params-file";

const run = promisify(execFile);
const SECRET = process.env.GH_PROBE_SECRET ?? "";
const work = mkdtempSync(join(tmpdir(), "gh-probe-"));

// The fake API's own CA and leaf for ghe.test (made with the project's minting code, in a throwaway dir).
const apiCa = createCa(join(work, "api-ca"));
if ("kind" in apiCa) throw new Error(apiCa.message);
const leafKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
const now = Date.now();
const apiCert = issueCertificate({
  issuer: apiCa.subject,
  subject: distinguishedName("ghe.test", "fake GHE"),
  notBefore: new Date(now - 3600_000),
  notAfter: new Date(now + 3600_000),
  publicKey: leafKey.publicKey,
  signingKey: apiCa.key,
  authorityKeyId: apiCa.keyId,
  ca: false,
  host: "ghe.test",
});

const seen: Array<{ path: string; authorization: string | undefined; host: string | undefined }> = [];
const api = createServer(
  { key: leafKey.privateKey.export({ type: "pkcs8", format: "pem" }), cert: apiCert },
  (req, res) => {
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization, host: req.headers.host });
    const ok = req.headers.authorization === `token ${SECRET}`;
    const body = JSON.stringify(ok ? { login: "octo-through-proxy" } : { message: "Bad credentials" });
    res.writeHead(ok ? 200 : 401, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  },
);
await new Promise<void>((resolve) => api.listen(443, "127.0.0.1", resolve));

let metadataConnections = 0;
const metadata = createTcpServer((s) => {
  metadataConnections++;
  s.destroy();
});
await new Promise<void>((resolve) => metadata.listen(443, "169.254.169.254", resolve));

const params = paramsFile({ "/ghe.test/headers/Authorization": `token ${SECRET}` });
const daemon = await startDaemonProcess({
  args: ["--local", params.path, "--intercept", "--ca-dir", join(work, "ca"), "--tunnel", "meta.test"],
  env: { NODE_EXTRA_CA_CERTS: apiCa.certPath },
});

const result: Record<string, unknown> = {};
try {
  const home = join(work, "home");
  writeFileSync(join(work, "placeholder"), "");
  const gh = await run("gh", ["api", "--hostname", "ghe.test", "user"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      GH_CONFIG_DIR: join(home, "gh"),
      GH_HOST: "ghe.test",
      GH_ENTERPRISE_TOKEN: "placeholder-not-a-token",
      GH_NO_UPDATE_NOTIFIER: "1",
      GH_PROMPT_DISABLED: "1",
      HTTPS_PROXY: daemon.proxyUrl,
      https_proxy: daemon.proxyUrl,
      SSL_CERT_FILE: join(work, "ca", "ca.pem"),
    },
    timeout: 20_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout ?? "",
      stderr: e.stderr ?? "",
    }),
  );
  result.gh = gh;
  result.seen = seen;
  const tunnel = await openTunnel(daemon.port, "meta.test:443");
  tunnel.socket.destroy();
  result.metaTunnel = { status: tunnel.status, head: tunnel.head };
  result.metadataConnections = metadataConnections;
  result.daemonLog = daemon.output();
} finally {
  await daemon.stop();
  api.close();
  metadata.close();
  params.remove();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
