/** Sends raw bytes to a TCP port and collects the answer: for requests no well-behaved client would send. */
import { connect } from "node:net";

export interface RawAnswer {
  text: string;
  status: number;
  /** The body after the blank line (first response only), de-chunked when it is `Transfer-Encoding: chunked`. */
  body: string;
}

/** The payload of a chunked body (as far as it goes: an incomplete one gives what arrived). */
function dechunk(raw: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    if (eol === -1) return out;
    const size = Number.parseInt(raw.slice(at, eol), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Writes `data`, reads until the server closes the connection or `idleMs` passes without data. */
export function rawRequest(port: number, data: string | Buffer, idleMs = 1500): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const sep = text.indexOf("\r\n\r\n");
      const head = sep === -1 ? text : text.slice(0, sep);
      const body = sep === -1 ? "" : text.slice(sep + 4);
      const chunked = /\r\ntransfer-encoding:\s*chunked\s*(\r\n|$)/i.test(head);
      resolve({ text, status, body: chunked ? dechunk(body) : body });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      arm();
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? finish() : reject(err)));
    socket.on("connect", () => {
      socket.write(data);
      arm();
    });
  });
}
