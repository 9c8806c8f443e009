/**
 * Real clients through the daemon with `https_proxy` (CONNECT), URLs unmodified: https:// through an
 * intercepted tunnel, http:// through a plain tunnel. Each trusts the local CA the way its users would.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { EnvHttpProxyAgent, fetch, ProxyAgent } from "undici";
import type { ClientAnswer } from "./clients";

const run = promisify(execFile);

/** Environment of a shell that ran `eval "$(ssm-sign-proxy env)"`, reduced to what the clients read. */
export function tunnelEnv(proxyUrl: string, bundle: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    http_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    no_proxy: "",
    NO_PROXY: "",
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    GIT_SSL_CAINFO: bundle,
  };
}

/** curl; `-p` forces a CONNECT tunnel for http:// URLs too (as Node's EnvHttpProxyAgent does). */
export async function curlVia(
  env: Record<string, string>,
  url: string,
  extra: string[] = [],
): Promise<ClientAnswer> {
  const { stdout } = await run("curl", ["-sS", "-o", "-", "-w", "\n%{http_code}", ...extra, url], { env });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

export async function wgetVia(env: Record<string, string>, url: string): Promise<ClientAnswer> {
  const bundle = env.SSL_CERT_FILE ?? "";
  const { stdout, stderr } = await run(
    "wget",
    ["-q", "-S", "-O", "-", "--tries=1", `--ca-certificate=${bundle}`, url],
    { env },
  );
  const status = Number(/HTTP\/1\.1 (\d{3})/.exec(stderr)?.[1] ?? 0);
  return { status, body: stdout };
}

const PYTHON = `
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=20)
    sys.stdout.write(str(r.status) + "\\n" + r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write(str(e.code) + "\\n" + e.read().decode())
`;

/** Python's urllib: https_proxy from the environment, the CA from SSL_CERT_FILE (OpenSSL's default paths). */
export async function pythonVia(env: Record<string, string>, url: string): Promise<ClientAnswer> {
  const { stdout } = await run("python3", ["-c", PYTHON, url], { env });
  const cut = stdout.indexOf("\n");
  return { status: Number(stdout.slice(0, cut)), body: stdout.slice(cut + 1) };
}

const REQUESTS = `
import sys, requests
r = requests.get(sys.argv[1], timeout=20)
sys.stdout.write(str(r.status_code) + "\\n" + r.text)
`;

/** Python requests: https_proxy from the environment, the CA from REQUESTS_CA_BUNDLE. */
export async function pythonRequestsVia(env: Record<string, string>, url: string): Promise<ClientAnswer> {
  const { stdout } = await run("python3", ["-c", REQUESTS, url], { env });
  const cut = stdout.indexOf("\n");
  return { status: Number(stdout.slice(0, cut)), body: stdout.slice(cut + 1) };
}

/** Whether the requests package is importable (it is optional). */
export function hasPythonRequests(): boolean {
  return spawnSync("python3", ["-c", "import requests"]).status === 0;
}

async function undiciFetch(
  dispatcher: EnvHttpProxyAgent | ProxyAgent,
  url: string,
  headers: Record<string, string> = {},
): Promise<ClientAnswer> {
  try {
    const res = await fetch(url, { dispatcher, headers });
    return { status: res.status, body: await res.text() };
  } finally {
    await dispatcher.close();
  }
}

/** undici's EnvHttpProxyAgent (what NODE_USE_ENV_PROXY=1 uses): CONNECT for http:// and https:// alike. */
export function undiciEnvAgent(proxyUrl: string, ca: string, url: string): Promise<ClientAnswer> {
  const agent = new EnvHttpProxyAgent({
    httpProxy: proxyUrl,
    httpsProxy: proxyUrl,
    noProxy: "",
    requestTls: { ca },
  });
  return undiciFetch(agent, url);
}

/** undici's ProxyAgent with its default (proxyTunnel: true). */
export function undiciProxyAgent(
  proxyUrl: string,
  ca: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<ClientAnswer> {
  return undiciFetch(new ProxyAgent({ uri: proxyUrl, requestTls: { ca } }), url, headers);
}
