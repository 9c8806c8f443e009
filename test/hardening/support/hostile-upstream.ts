/**
 * An HTTPS upstream that does what ordinary servers do with the request they received, which is exactly how
 * URL-borne or header-borne secrets come back to a client (test CA, 127.0.0.1, free port):
 *
 * - any `TRACE`: 200 `message/http` echoing the request line and headers (Apache's `TraceEnable on`);
 * - `/dir?…`: 301 to `/dir/?…` keeping the query (Apache DirectorySlash, Express serve-static), with the same
 *   URL in `Content-Location`, `Link` and `Refresh`;
 * - `/private?…`: 302 login wall, `Location: /login?next=<the URL, percent-encoded>`;
 * - `/upgrade`: `101 Switching Protocols` to a request that asked for no upgrade, then silence;
 * - `/marker`: 200 carrying `x-ssm-sign-proxy-error` itself, as if it were one of the proxy's refusals;
 * - `/big?size=N`: N bytes of octet-stream (from one shared buffer);
 * - `/upload`: reads the body, answers 201 with its length;
 * - `/slow?ms=N`: answers after N ms; `cancelled` counts the ones whose client went away first;
 * - anything else: Express's default 404, `Cannot GET <path>` in HTML.
 */
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { type TestCa, testCa } from "../../support/test-ca";

export interface HostileUpstream {
  port: number;
  ca: TestCa;
  /** Request lines (`METHOD target`) as received. */
  requests: string[];
  /** `/slow` requests whose connection closed before the answer was due. */
  readonly cancelled: number;
  stop(): Promise<void>;
}

let shared = Buffer.alloc(0);
function bytes(size: number): Buffer {
  if (shared.length < size) shared = Buffer.alloc(size, 0x61);
  return shared.subarray(0, size);
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const ca = await testCa();
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let cancelled = 0;
  const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const url = req.url ?? "/";
    requests.push(`${req.method} ${url}`);
    const [path = "/", query = ""] = url.split("?", 2);
    const params = new URLSearchParams(query);
    const text = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    if (req.method === "TRACE") {
      const lines = [`TRACE ${url} HTTP/1.1`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      return text(200, "message/http", `${lines.join("\r\n")}\r\n\r\n`);
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      switch (path) {
        case "/dir": {
          const to = `/dir/${query ? `?${query}` : ""}`;
          return text(301, "text/html", `<a href="${to}">Moved Permanently</a>`, {
            location: to,
            "content-location": to,
            link: `<${to}>; rel="canonical"`,
            refresh: `0; url=${to}`,
          });
        }
        case "/private":
          return text(302, "text/plain", "Found", { location: `/login?next=${encodeURIComponent(url)}` });
        case "/upgrade":
          req.socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
          );
          return;
        case "/marker":
          return text(200, "text/plain", "the API's own answer\n", {
            "x-ssm-sign-proxy-error": "no-parameters",
          });
        case "/big": {
          const body = bytes(Number(params.get("size") ?? 1024));
          res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
          return res.end(body);
        }
        case "/upload":
          return text(201, "application/json", JSON.stringify({ length: Buffer.concat(chunks).length }));
        case "/slow": {
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              text(200, "text/plain", "slow answer\n");
            },
            Number(params.get("ms") ?? 1000),
          );
          timers.add(timer);
          res.once("close", () => {
            if (!res.writableEnded) {
              cancelled += 1;
              clearTimeout(timer);
            }
          });
          return;
        }
        default:
          return text(
            404,
            "text/html; charset=utf-8",
            `<!DOCTYPE html>\n<html><body><pre>Cannot ${req.method} ${path}</pre></body></html>\n`,
          );
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    port,
    ca,
    requests,
    get cancelled() {
      return cancelled;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
