/**
 * Routes of the test HTTPS upstream (https-upstream.ts) that answer over time:
 * - `/sse?count=N&intervalMs=M`: `text/event-stream`, one event every M ms (default 20 × 100 ms), each
 *   `id: i` and `data: {"i":i,"sentAt":EPOCH_MS}`, written the moment it is sent.
 * - `/generate?size=N[&length=1]`: N bytes of {@link deterministicBytes}' stream, generated as the socket takes
 *   them (never held whole: 100 MB answers cost this server nothing); chunked unless `length=1` sends a
 *   Content-Length. How far each answer got is in {@link streamProgress} (for back-pressure tests).
 * - `/die-mid-stream?after=N`: chunked, N bytes, then the socket is destroyed (no final chunk).
 */
import { createCipheriv, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const GENERATE_CHUNK = 64 * 1024;

/** The same keystream as https-upstream's deterministicBytes, produced piece by piece. */
export function keystream(): (size: number) => Buffer {
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return (size) => cipher.update(Buffer.alloc(size));
}

/** sha256 (hex) of `/generate?size=N`'s body, computed without holding it. */
export function generatedSha256(size: number): string {
  const next = keystream();
  const hash = createHash("sha256");
  for (let left = size; left > 0; left -= GENERATE_CHUNK) hash.update(next(Math.min(GENERATE_CHUNK, left)));
  return hash.digest("hex");
}

/** Bytes written so far by each `/generate` answer, by request path, for tests to read. */
export const streamProgress = new Map<string, { written: number; finished: boolean }>();

/** Handles the route if it is one of these; returns whether it did. */
export function streamingRoute(
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  timers: Set<NodeJS.Timeout>,
): boolean {
  switch (path) {
    case "/sse": {
      const count = Number(query.get("count") ?? "20");
      const interval = Number(query.get("intervalMs") ?? "100");
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let i = 0;
      const tick = () => {
        if (res.destroyed) return;
        res.write(`id: ${i}\ndata: ${JSON.stringify({ i, sentAt: Date.now() })}\n\n`);
        i += 1;
        if (i >= count) return void res.end();
        const timer = setTimeout(tick, interval);
        timers.add(timer);
      };
      tick();
      return true;
    }
    case "/generate": {
      const size = Number(query.get("size") ?? "1048576");
      const headers: Record<string, string> = { "content-type": "application/octet-stream" };
      if (query.get("length") === "1") headers["content-length"] = String(size);
      res.writeHead(200, headers);
      const next = keystream();
      const progress = { written: 0, finished: false };
      streamProgress.set(req.url ?? path, progress);
      const pump = () => {
        while (progress.written < size && !res.destroyed) {
          const piece = next(Math.min(GENERATE_CHUNK, size - progress.written));
          progress.written += piece.length;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        if (!res.destroyed) {
          progress.finished = true;
          res.end();
        }
      };
      pump();
      return true;
    }
    case "/die-mid-stream": {
      const after = Number(query.get("after") ?? "4096");
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(keystream()(after), () => {
        const timer = setTimeout(() => req.socket.destroy(), 50);
        timers.add(timer);
      });
      return true;
    }
    default:
      return false;
  }
}
