/**
 * A closed-loop HTTPS load client for the CONNECT scenarios, the same code for the baseline and the proxy so the
 * ratio compares paths, not clients: each of N loops holds one TLS connection (directly to the upstream, or
 * inside a CONNECT tunnel through the daemon) and sends GET requests back to back. With `newTunnelPerRequest`,
 * each request opens its own tunnel and TLS session (what a curl invocation per call costs).
 */
import { connect as netConnect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

export interface ConnectLoadOptions {
  /** Upstream `localhost:PORT`. */
  upstreamPort: number;
  /** Through the daemon at this port, or directly to the upstream when undefined. */
  proxyPort?: number;
  ca: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  newTunnelPerRequest: boolean;
  /** Plain HTTP to the daemon with absolute-form `http://` URLs (http_proxy), no tunnel, no TLS: scenario (b). */
  httpProxy?: boolean;
}

export interface ConnectLoadFigures {
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function openTunnel(proxyPort: number, target: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(proxyPort, "127.0.0.1");
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 200")) reject(new Error(head.split("\r\n")[0]));
      else resolve(socket);
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("connect", () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
  });
}

async function openTls(options: ConnectLoadOptions): Promise<TLSSocket | Socket> {
  if (options.httpProxy && options.proxyPort !== undefined) {
    const port = options.proxyPort;
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, "127.0.0.1", () => resolve(socket));
      socket.once("error", reject);
    });
  }
  const base =
    options.proxyPort === undefined
      ? undefined
      : await openTunnel(options.proxyPort, `localhost:${options.upstreamPort}`);
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      ...(base ? { socket: base } : { host: "127.0.0.1", port: options.upstreamPort }),
      servername: "localhost",
      ca: options.ca,
      ALPNProtocols: ["http/1.1"],
    });
    tls.once("secureConnect", () => resolve(tls));
    tls.once("error", reject);
  });
}

/** Sends one request and resolves when its Content-Length body has arrived. */
function exchange(socket: TLSSocket | Socket, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(Number(head.slice(9, 12)));
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(request);
  });
}

export async function runConnectLoad(options: ConnectLoadOptions): Promise<ConnectLoadFigures> {
  const headerLines = Object.entries(options.headers)
    .map(([n, v]) => `${n}: ${v}\r\n`)
    .join("");
  const target = options.httpProxy ? `http://localhost:${options.upstreamPort}/echo` : "/echo";
  const request = (close: boolean) =>
    `GET ${target} HTTP/1.1\r\nHost: localhost:${options.upstreamPort}\r\n${headerLines}${close ? "Connection: close\r\n" : ""}\r\n`;
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + options.durationS * 1000;
  const loop = async () => {
    let socket: TLSSocket | Socket | undefined;
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        socket ??= await openTls(options);
        const status = await exchange(socket, request(options.newTunnelPerRequest));
        if (status >= 200 && status < 300) latencies.push(performance.now() - started);
        else errors++;
      } catch {
        errors++;
        socket?.destroy();
        socket = undefined;
      }
      if (options.newTunnelPerRequest) {
        socket?.destroy();
        socket = undefined;
      }
    }
    socket?.destroy();
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - began) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) =>
    sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return {
    requests: latencies.length,
    reqPerSec: latencies.length / seconds,
    p50Ms: at(50),
    p99Ms: at(99),
    errors,
  };
}
