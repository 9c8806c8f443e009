/** Real HTTP clients sending requests through the daemon via http_proxy, as users do. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fetch, ProxyAgent } from "undici";

const run = promisify(execFile);

export interface ClientAnswer {
  status: number;
  body: string;
  /** Response headers and exact body bytes (only filled by nodeFetch). */
  headers?: Headers;
  bytes?: Buffer;
}

const proxyEnv = (proxyUrl: string) => ({
  PATH: process.env.PATH ?? "",
  http_proxy: proxyUrl,
  HTTP_PROXY: proxyUrl,
  no_proxy: "",
  NO_PROXY: "",
});

export async function curl(proxyUrl: string, url: string, extra: string[] = []): Promise<ClientAnswer> {
  const { stdout } = await run("curl", ["-sS", "-o", "-", "-w", "\n%{http_code}", ...extra, url], {
    env: proxyEnv(proxyUrl),
  });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

export async function wget(proxyUrl: string, url: string): Promise<ClientAnswer> {
  // wget prints the status line of the final response to stderr with -S; -O - writes the body to stdout.
  const { stdout, stderr } = await run("wget", ["-q", "-S", "-O", "-", "--tries=1", url], {
    env: proxyEnv(proxyUrl),
  });
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

export async function pythonUrllib(proxyUrl: string, url: string): Promise<ClientAnswer> {
  const { stdout } = await run("python3", ["-c", PYTHON, url], { env: proxyEnv(proxyUrl) });
  const cut = stdout.indexOf("\n");
  return { status: Number(stdout.slice(0, cut)), body: stdout.slice(cut + 1) };
}

/** Node's fetch (undici) through the proxy; proxyTunnel off so http:// URLs go as absolute-form requests. */
export async function nodeFetch(
  proxyUrl: string,
  url: string,
  init: { headers?: Record<string, string>; method?: string; body?: string; redirect?: "manual" } = {},
): Promise<ClientAnswer> {
  const dispatcher = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false });
  try {
    const res = await fetch(url, { dispatcher, ...init });
    const bytes = Buffer.from(await res.arrayBuffer());
    return {
      status: res.status,
      body: bytes.toString("utf8"),
      bytes,
      headers: res.headers as unknown as Headers,
    };
  } finally {
    await dispatcher.close();
  }
}
