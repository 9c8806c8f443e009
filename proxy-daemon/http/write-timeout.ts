/**
 * --write-timeout: a client that stops reading keeps its answer in our memory (a whole answer), or holds a
 * connection, its queued requests and an upstream fetch (a streamed one, paused by back-pressure). It is
 * disconnected once bytes have waited for the socket that long with none accepted (each 'drain' restarts the
 * clock). A streamed answer whose API is merely slow has nothing waiting, so it is never cut by this.
 */
import type { ServerResponse } from "node:http";

/** Watches `res` until it finishes or closes; `expired` is called just before the response is destroyed. */
export function watchWrite(res: ServerResponse, timeoutMs: number, expired: () => void): void {
  const socket = res.socket;
  if (!socket || res.writableFinished || res.destroyed) return;
  let stalledSince: number | undefined;
  const waiting = () => socket.writableLength > 0 || res.writableNeedDrain;
  const check = () => {
    if (!waiting()) {
      stalledSince = undefined;
      return;
    }
    const now = performance.now();
    stalledSince ??= now;
    if (now - stalledSince < timeoutMs) return;
    stop();
    expired();
    res.destroy();
  };
  const timer = setInterval(check, Math.max(25, Math.min(1000, timeoutMs / 8)));
  timer.unref();
  const onDrain = () => {
    stalledSince = undefined;
  };
  socket.on("drain", onDrain);
  // A whole answer is written at once: its clock starts now, not at the first check.
  if (waiting()) stalledSince = performance.now();
  function stop() {
    clearInterval(timer);
    socket?.off("drain", onDrain);
  }
  res.once("finish", stop);
  res.once("close", stop);
}
