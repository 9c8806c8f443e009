import { createCipheriv, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import type { HeaderPairs } from "../../lambda/core/proxy-request";
import { streamingRoute } from "./streaming-routes";
import { type TestCa, testCa, untrustedCa } from "./test-ca";

/** One request as the upstream received it. */
export interface UpstreamRequest {
  method: string;
  /** The request target exactly as received (raw, percent-encoding untouched, with query). */
  path: string;
  /** `req.rawHeaders` as [name, value] pairs: original case, order and duplicates kept. */
  headers: HeaderPairs;
  /** Bytes of body received so far (final once the request body has ended). */
  bodyLength: number;
  /** Which accepted TCP connection carried it (1, 2, …): equal ids mean the connection was reused. */
  connectionId: number;
}

/** What `/echo…` answers, as JSON. */
export interface EchoResponse {
  method: string;
  path: string;
  headers: HeaderPairs;
  bodySha256: string;
  bodyLength: number;
  bodyBase64: string;
}

export interface HttpsUpstreamOptions {
  /** Serve the leaf of the untrusted CA (see `untrustedCa()`), for "bad certificate" tests. */
  untrusted?: boolean;
  /** Idle keep-alive timeout of the server; default 5000 ms (Node's default). */
  keepAliveTimeoutMs?: number;
}

export interface HttpsUpstream {
  port: number;
  /** `https://localhost:PORT` (the server listens on 127.0.0.1; the cert also covers 127.0.0.1). */
  origin: string;
  /** `localhost_PORT`: the host part of the SSM parameter name for this upstream. */
  hostKey: string;
  /** Every request received, in arrival order (appended when the headers arrive). */
  requests: UpstreamRequest[];
  /** TCP connections accepted so far (a keep-alive client sending N requests should open 1). */
  readonly connections: number;
  /** The CA whose leaf this server presents (`caFile` goes into NODE_EXTRA_CA_CERTS). */
  ca: TestCa;
  /** Closes the server and destroys every open socket (including stalled ones). Safe to call twice. */
  stop(): Promise<void>;
}

/** The plain text `/gzip` sends, compressed. */
export const GZIP_PLAIN_TEXT = "this body was gzip-compressed by the upstream\n".repeat(20);

/** Name of the response header carrying the hex sha256 of a `/binary` body. */
export const BINARY_SHA256_HEADER = "x-body-sha256";

/** The deterministic pseudo-random bytes `/binary?size=N` sends (AES-CTR keystream with a fixed key). */
export function deterministicBytes(size: number): Buffer {
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return cipher.update(Buffer.alloc(size));
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Starts a local HTTPS server (keep-alive on) on 127.0.0.1 with routes for every kind of test:
 *
 * - `/echo…` (any method, any path starting with /echo, any query): 200 JSON {@link EchoResponse}.
 * - `/redirect?to=URL`: 302 with `Location: URL`; `/redirect-loop`: 302 to itself.
 * - `/gzip`: {@link GZIP_PLAIN_TEXT} gzipped, with `Content-Encoding: gzip`.
 * - `/binary?size=N`: {@link deterministicBytes}(N) as application/octet-stream, sha256 in {@link BINARY_SHA256_HEADER}.
 * - `/cookies`: 200 with two `Set-Cookie` headers (`a=1; Path=/` and `b=2; Path=/; HttpOnly`).
 * - `/slow?ms=N`: waits N ms, then 200 `slept N ms`.
 * - `/stall`: never answers (stop() destroys the socket).
 * - `/reset`: destroys the socket without answering.
 * - `/reset-mid-body`: sends headers (Content-Length 65536) and 1024 body bytes, then destroys the socket.
 * - `/status/NNN`: answers status NNN (200–599) with body `status NNN` (none for 204/304).
 * - `/impostor`: 407 carrying the proxy's own marker (`x-ssm-sign-proxy-error: no-parameters`) and a
 *   `Proxy-Authenticate` challenge: an API that tries to pass for the proxy.
 * - `/sse`, `/generate`, `/die-mid-stream`: answers over time (streaming-routes.ts).
 * - anything else: 404 naming the path.
 */
export async function startHttpsUpstream(opts: HttpsUpstreamOptions = {}): Promise<HttpsUpstream> {
  const ca = opts.untrusted ? await untrustedCa() : await testCa();
  const requests: UpstreamRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;

  const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
    const socket = req.socket;
    const record: UpstreamRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: toPairs(req.rawHeaders),
      bodyLength: 0,
      connectionId: connectionIdOf(socket, connectionIds),
    };
    requests.push(record);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      record.bodyLength += chunk.length;
    });
    req.on("end", () => {
      let answer: Reply | undefined;
      try {
        answer = route(req, res, Buffer.concat(chunks), timers);
      } catch (err) {
        // A fault in this test server must show up as an answer, never as an uncaught exception in the test.
        answer = reply(500, { "content-type": "text/plain" }, `test upstream failed: ${String(err)}`);
      }
      if (answer && !res.headersSent) send(res, answer);
    });
    req.on("error", () => socket.destroy());
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5000;
  // Count and track raw TCP sockets, so even a half-done TLS handshake is destroyed by stop().
  server.on("connection", (socket: Socket) => {
    connections += 1;
    connectionIds.set(socket, connections);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {
    // A client that rejects our certificate ends up here: expected in "bad certificate" tests.
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    port,
    origin: `https://localhost:${port}`,
    hostKey: `localhost_${port}`,
    requests,
    get connections() {
      return connections;
    },
    ca,
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

/** Answers with a {@link Reply}, or returns undefined after handling `res` itself. */
function route(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  timers: Set<NodeJS.Timeout>,
): Reply | undefined {
  const rawPath = req.url ?? "/";
  // Split by hand: WHATWG URL parsing rejects or rewrites odd targets (`/\?x`, `//x`) that tests send on purpose.
  const queryAt = rawPath.indexOf("?");
  const path = queryAt === -1 ? rawPath : rawPath.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : rawPath.slice(queryAt + 1));

  if (path.startsWith("/echo")) {
    const echo: EchoResponse = {
      method: req.method ?? "",
      path: rawPath,
      headers: toPairs(req.rawHeaders),
      bodySha256: sha256Hex(body),
      bodyLength: body.length,
      bodyBase64: body.toString("base64"),
    };
    return reply(200, { "content-type": "application/json" }, JSON.stringify(echo));
  }
  switch (path) {
    case "/redirect": {
      const to = query.get("to");
      if (!to) return reply(400, {}, "missing query parameter 'to'");
      return reply(302, { location: to }, `redirecting to ${to}`);
    }
    case "/impostor":
      return reply(
        407,
        {
          "content-type": "text/plain",
          "x-ssm-sign-proxy-error": "no-parameters",
          "proxy-authenticate": 'Basic realm="upstream"',
        },
        "the API's own 407",
      );
    case "/redirect-loop":
      return reply(302, { location: "/redirect-loop" }, "redirecting to myself");
    case "/gzip":
      return reply(
        200,
        { "content-type": "text/plain", "content-encoding": "gzip" },
        gzipSync(GZIP_PLAIN_TEXT),
      );
    case "/binary": {
      const size = Number(query.get("size") ?? "1024");
      if (!Number.isInteger(size) || size < 0 || size > 64 * 1024 * 1024) {
        return reply(400, {}, "query parameter 'size' must be an integer from 0 to 67108864");
      }
      const bytes = deterministicBytes(size);
      return reply(
        200,
        { "content-type": "application/octet-stream", [BINARY_SHA256_HEADER]: sha256Hex(bytes) },
        bytes,
      );
    }
    case "/cookies":
      res.statusCode = 200;
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
      res.setHeader("content-type", "text/plain");
      res.end("two cookies");
      return undefined;
    case "/slow": {
      const ms = Number(query.get("ms") ?? "1000");
      if (!Number.isFinite(ms) || ms < 0) return reply(400, {}, "query parameter 'ms' must be a number >= 0");
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, reply(200, { "content-type": "text/plain" }, `slept ${ms} ms`));
      }, ms);
      timers.add(timer);
      res.once("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return undefined;
    }
    case "/stall":
      return undefined; // Never answer; stop() destroys the socket.
    case "/reset":
      req.socket.destroy();
      return undefined;
    case "/reset-mid-body":
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "65536" });
      res.write(deterministicBytes(1024), () => {
        // Give the bytes a moment to leave the kernel before the abrupt close.
        const timer = setTimeout(() => req.socket.destroy(), 20);
        timers.add(timer);
      });
      return undefined;
  }
  if (streamingRoute(path, query, req, res, timers)) return undefined;
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) {
    const code = Number(status[1]);
    if (code < 200 || code > 599) return reply(400, {}, `status must be from 200 to 599, got ${code}`);
    if (code === 204 || code === 304) return reply(code, {}, "");
    return reply(code, { "content-type": "text/plain" }, `status ${code}`);
  }
  return reply(404, { "content-type": "text/plain" }, `no route for ${path}`);
}

/** A complete answer; routes that need to misbehave (stall, reset, …) write to the response themselves. */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

function reply(status: number, headers: Record<string, string>, body: string | Buffer): Reply {
  return { status, headers, body };
}

function send(res: ServerResponse, { status, headers, body }: Reply): void {
  res.writeHead(status, { "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** Node's server-side TLSSocket keeps the TCP socket it wraps in `_parent` (undocumented, stable since v0.x). */
function connectionIdOf(socket: Socket, ids: WeakMap<Socket, number>): number {
  const parent = (socket as Socket & { _parent?: Socket | null })._parent;
  return ids.get(socket) ?? (parent ? ids.get(parent) : undefined) ?? 0;
}

function toPairs(raw: string[]): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}
