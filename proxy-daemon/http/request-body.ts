/** Reads a request body into memory, up to a limit: the whole body goes into one Lambda event. */
import type { IncomingMessage } from "node:http";

export type BodyOutcome =
  | { kind: "body"; body: Buffer }
  | { kind: "too-large"; received: number }
  | { kind: "aborted" };

export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyOutcome> {
  // With a declared length the body is copied into one buffer as it arrives: concatenating chunks at the end
  // would hold every body twice for a moment, which is what many concurrent uploads add up.
  const declared = Number(req.headers["content-length"]);
  const into =
    Number.isInteger(declared) && declared > 0 && declared <= maxBytes
      ? Buffer.allocUnsafe(declared)
      : undefined;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const whole = (): Buffer => {
      if (!into) return Buffer.concat(chunks, received);
      return received === into.length ? into : into.subarray(0, received);
    };
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
      if (!into) chunks.push(chunk);
      // More than declared cannot pass node:http's parser; should it ever, the body is not what was announced.
      else if (received > into.length) settle({ kind: "aborted" });
      else chunk.copy(into, received - chunk.length);
    };
    req.on("data", onData);
    req.once("end", () => settle({ kind: "body", body: whole() }));
    req.once("error", () => settle({ kind: "aborted" }));
    req.once("close", () => settle(req.complete ? { kind: "body", body: whole() } : { kind: "aborted" }));
  });
}
