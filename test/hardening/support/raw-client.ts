/**
 * A raw HTTP/1.1 client for requests no well-behaved client would send. Unlike an idle-timeout reader it parses
 * the response framing (Content-Length or close), so thousands of cases run quickly and no answer is cut short.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  /** Whether the server closed the connection or announced it would (`Connection: close`). */
  closed: boolean;
  /** Interim 1xx answers that came first (e.g. 100 Continue). */
  interim: number[];
}

export interface RawOptions {
  /** Give up (and report status 0) if nothing complete arrives within this long. Not an assertion. */
  giveUpMs?: number;
  /** Connect from this local address (e.g. 127.0.0.2 to look like another client). */
  localAddress?: string;
  /** Half-close after writing, so a server waiting for more body sees the end of the message at once. */
  halfClose?: boolean;
}

function parseHead(head: string): { status: number; headers: Array<[string, string]> } {
  const lines = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { status, headers };
}

/** Splits off leading 1xx interim responses (they have no body), returning their statuses and the rest. */
function stripInterim(buffer: Buffer): { interim: number[]; rest: Buffer } {
  const interim: number[] = [];
  let rest = buffer;
  for (;;) {
    const m = /^HTTP\/1\.[01] (1\d\d)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(rest.toString("latin1"));
    if (!m) return { interim, rest };
    interim.push(Number(m[1]));
    rest = rest.subarray(m[0].length);
  }
}

export function rawExchange(
  port: number,
  data: string | Buffer,
  options: RawOptions = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({
      port,
      host: "127.0.0.1",
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => finish(true), options.giveUpMs ?? 20_000);
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const { interim, rest } = stripInterim(buffer);
      const sep = rest.indexOf("\r\n\r\n");
      if (sep === -1) {
        resolve({ status: 0, headers: [], body: rest, closed, interim });
        return;
      }
      const { status, headers } = parseHead(rest.subarray(0, sep).toString("latin1"));
      const announced = headers.some(([n, v]) => n === "connection" && /\bclose\b/i.test(v));
      resolve({ status, headers, body: rest.subarray(sep + 4), closed: closed || announced, interim });
    };
    const complete = (): boolean => {
      const { rest } = stripInterim(buffer);
      const sep = rest.indexOf("\r\n\r\n");
      if (sep === -1) return false;
      const { headers } = parseHead(rest.subarray(0, sep).toString("latin1"));
      const length = headers.find(([n]) => n === "content-length")?.[1];
      return length !== undefined && rest.length - sep - 4 >= Number(length);
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (complete()) finish(false);
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") finish(true);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on("connect", () => (options.halfClose ? socket.end(data) : socket.write(data)));
  });
}

export function header(response: RawResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

/** The body's payload: de-chunked when the answer is `Transfer-Encoding: chunked` (as far as it arrived). */
export function payloadOf(response: RawResponse): Buffer {
  if (!/\bchunked\b/i.test(header(response, "transfer-encoding") ?? "")) return response.body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = response.body.indexOf("\r\n", at);
    if (eol === -1) break;
    const size = Number.parseInt(response.body.toString("latin1", at, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(response.body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
