/**
 * Own answers to a CONNECT, written straight to the socket (there is no ServerResponse for CONNECT). The
 * reason phrase can carry the fix, because some clients (curl) show only the status line of a failed CONNECT.
 */
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { oneLine, type Refusal, refusalResponse } from "../../../lambda/core/refusal";

export function writeRefusal(socket: Duplex, refusal: Refusal, reason?: string): void {
  const response = refusalResponse(refusal);
  // A reason phrase is HTAB / SP / VCHAR / obs-text (RFC 9112 §4); oneLine removes the rest.
  const phrase = oneLine(reason ?? STATUS_CODES[response.statusCode] ?? "Error");
  const head = [
    `HTTP/1.1 ${response.statusCode} ${phrase}`,
    ...response.headers.map(([name, value]) => `${name}: ${value}`),
    "Connection: close",
  ];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`${head.join("\r\n")}\r\n\r\n${response.body.toString("utf8")}`, () => socket.destroy());
}

export const CONNECT_ESTABLISHED = "HTTP/1.1 200 Connection Established\r\n\r\n";
