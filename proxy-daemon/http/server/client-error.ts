/**
 * Requests node:http's parser rejected (bad framing, oversized headers, timeouts): there is no ServerResponse,
 * so the refusal is written to the bare socket and counted and logged here like any other request.
 */
import type { Duplex } from "node:stream";
import { MAX_HEADER_BYTES } from "../../../lambda/core/limits";
import type { Logger } from "../../observe/logger";
import type { DaemonMetrics } from "../../observe/metrics";
import { clientErrorRefusal, rawRefusal } from "../raw-refusal";

/** The server's "clientError" listener. */
export function clientErrorHandler(
  metrics: DaemonMetrics,
  log: Logger,
  mode: string,
): (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => void {
  return (err, socket) => {
    if (err.code === "ECONNRESET" || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal = clientErrorRefusal(err, MAX_HEADER_BYTES);
    const { status, code, message } = refusal;
    socket.end(rawRefusal(refusal), () => socket.destroy());
    metrics.requests.inc({ status: String(status) });
    metrics.refusals.inc({ code });
    log.info({ method: "-", host: "-", status, code, mode, error: message }, "request");
  };
}
