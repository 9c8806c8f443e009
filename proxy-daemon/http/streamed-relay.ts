/**
 * A streamed answer: headers now, then the body as it comes (chunked unless the API sent a Content-Length),
 * with back-pressure (pipeline pauses the signer's stream while the client's socket is full). A failure after
 * the headers destroys the client's connection, so it sees an incomplete answer, never a short success.
 * Resolves once the answer is handed to the socket in full or the client is gone, which is when the next
 * pipelined request on the connection may start (connection-queue.ts). A client gone (or disconnected by
 * --write-timeout) destroys the signer's stream: the upstream fetch, or the read of the Invoke stream, stops.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { flattenPairs } from "../../lambda/core/header-pairs";
import type { StreamedResponse } from "../../lambda/core/streamed-response";
import type { Logger } from "../observe/logger";
import { watchWrite } from "./write-timeout";

const NO_BODY_STATUS = (status: number) => status < 200 || status === 204 || status === 304;

export interface RelayOptions {
  draining: boolean;
  writeTimeoutMs: number;
  log: Logger;
  /** Logged when --write-timeout disconnects the client. */
  expired: () => void;
}

export async function relay(
  req: IncomingMessage,
  res: ServerResponse,
  response: StreamedResponse,
  host: string,
  options: RelayOptions,
): Promise<void> {
  if (res.destroyed) {
    response.stream.destroy();
    return;
  }
  const headers = [...response.headers];
  if (options.draining) {
    headers.push(["Connection", "close"]);
    res.shouldKeepAlive = false;
  }
  res.writeHead(response.statusCode, flattenPairs(headers));
  if (req.method === "HEAD" || NO_BODY_STATUS(response.statusCode)) {
    response.stream.destroy();
    res.end();
    return;
  }
  // An event stream's first event must not wait for the first body bytes to carry the headers.
  res.flushHeaders();
  watchWrite(res, options.writeTimeoutMs, options.expired);
  try {
    await pipeline(response.stream, res);
  } catch (err) {
    if (!res.destroyed) res.destroy();
    if (!response.stream.destroyed) response.stream.destroy();
    // Either the signer failed mid-stream (the upstream died, the function timed out) or the client left.
    options.log.warn(
      { host, status: response.statusCode, error: (err as Error).message.slice(0, 300) },
      "streamed answer ended abnormally after its headers",
    );
  }
}
