/** Reads a request body into memory, up to a limit: the whole body goes into one Lambda event. */
import type { IncomingMessage } from "node:http";

export type BodyOutcome =
  | { kind: "body"; body: Buffer }
  | { kind: "too-large"; received: number }
  | { kind: "aborted" };

export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        // Stop buffering at once; the caller answers 413 and closes the connection.
        req.pause();
        settle({ kind: "too-large", received });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => settle({ kind: "body", body: Buffer.concat(chunks, received) }));
    req.once("error", () => settle({ kind: "aborted" }));
    req.once("close", () =>
      settle(req.complete ? { kind: "body", body: Buffer.concat(chunks) } : { kind: "aborted" }),
    );
  });
}
