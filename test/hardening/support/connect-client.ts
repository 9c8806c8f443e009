/** Opens a CONNECT tunnel by hand, for what curl will not do (mismatched SNI, half-open floods). */
import { connect, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

export interface Tunnel {
  socket: Socket;
  status: number;
  /** The whole status line, reason phrase included. */
  statusLine: string;
  /** The whole answer to the CONNECT (status line, headers, body when refused). */
  head: string;
}

export function openTunnel(port: number, target: string, headers: string[] = []): Promise<Tunnel> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      const statusLine = text.slice(0, text.indexOf("\r\n"));
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
      // A refusal's body follows its headers: wait for the close to have it all.
      if (status !== 200) {
        socket.on("data", (more: Buffer) => {
          text += more.toString("latin1");
        });
        socket.once("close", () => resolve({ socket, status, statusLine, head: text }));
        return;
      }
      resolve({ socket, status, statusLine, head: text });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("connect", () =>
      socket.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`,
      ),
    );
  });
}

/** TLS over an open tunnel; resolves with the socket once secure, rejects with the handshake error. */
export function tlsOverTunnel(
  socket: Socket,
  servername: string | undefined,
  ca: string,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket,
      ca,
      ...(servername ? { servername } : {}),
      ALPNProtocols: ["http/1.1"],
    });
    tls.once("secureConnect", () => resolve(tls));
    tls.once("error", reject);
    tls.once("close", () => reject(new Error("closed during the handshake")));
  });
}

/** Sends one HTTP/1.1 request over a socket and resolves with the raw answer up to the first body bytes. */
export function requestOver(socket: Socket | TLSSocket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      clearTimeout(timer);
      timer = setTimeout(() => resolve(text), 300);
    });
    socket.once("close", () => resolve(text));
    socket.write(request);
  });
}
