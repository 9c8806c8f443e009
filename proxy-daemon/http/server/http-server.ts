/**
 * The node:http server itself and the limits it is created with: here so the timeouts chosen against slowloris
 * and oversized headers sit in one place, apart from what the proxy does with each request.
 */
import { createServer, type Server } from "node:http";
import { MAX_HEADER_BYTES } from "../../../lambda/core/limits";

/** Limits chosen on purpose rather than inherited (slowloris, oversized headers). */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The HTTP/1.1 server, its parser strict; `timeoutSeconds` is the signer's --timeout. */
export function createHttpServer(timeoutSeconds: number): Server {
  return createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    // Uploading a body up to --max-body must fit; the signer has --timeout on top.
    requestTimeout: Math.max(60_000, timeoutSeconds * 1000),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: 2_000,
    // We answer a missing Host ourselves, with a message that says what to do.
    requireHostHeader: false,
  });
}
