/**
 * Sends a signed request to `https://<host>[:port]` and reads the whole answer. The only network edge besides SSM.
 * - A keep-alive pool lives in module scope (one https.Agent), so warm invocations reuse TLS connections.
 *   node:https rather than undici: same pooling, zero bundle cost (undici alone is 530 KB minified, most of the
 *   cold-start import time; see docs/benchmarks.md).
 * - Redirects are returned, never followed: a followed redirect would carry injected secrets to another host.
 * - Bodies are never decoded: a gzip answer stays gzip.
 * - A reused socket that the peer reset (sockets freeze with a Lambda sandbox and die meanwhile) gets one retry,
 *   for idempotent methods only (upstream-policy.ts, shared by every upstream client).
 * - Addresses are checked after DNS resolution (address-guard), so DNS rebinding cannot reach metadata services.
 * Only the node:https attempt and its agent live here; failures are classified in upstream-failure.ts and the
 * request's options, body rule and headers are in upstream-request.ts.
 */
import https from "node:https";
import { isIP } from "node:net";
import { pairsFromRaw } from "../core/header-pairs";
import type { UpstreamHost } from "../core/host-key";
import type { ProxyRequest, ProxyResponse } from "../core/proxy-request";
import { requestTarget } from "../signing/signer";
import { guardedLookup } from "./address-guard";
import { refuseUpgrade } from "./upgrade-guard";
import { UpstreamError } from "./upstream-failure";
import { upstreamClient } from "./upstream-policy";
import { outgoingHeaders, sendsBody, type UpstreamOptions } from "./upstream-request";

export const agent = new https.Agent({
  keepAlive: true,
  keepAliveMsecs: 15_000,
  maxSockets: 256,
  // As many idle sockets as busy ones: a burst that ends must not cost the next burst its TLS handshakes.
  maxFreeSockets: 256,
  // Idle sockets close after 30 s, or 1 s before the server's own `Keep-Alive: timeout=N` (Node applies the
  // hint): reusing a socket the server is closing is what turns a POST into ECONNRESET.
  timeout: 30_000,
  // Most recently used first: fewer sockets stay warm, and those are the least likely to have been closed.
  scheduling: "lifo",
  lookup: guardedLookup as unknown as https.AgentOptions["lookup"],
});

function sendOnce(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
): Promise<ProxyResponse> {
  const hasBody = sendsBody(request);
  const headers = outgoingHeaders(
    hasBody ? [...request.headers, ["content-length", String(request.body.length)]] : request.headers,
  );
  return new Promise((resolve, reject) => {
    let responseStarted = false;
    const req = https.request({
      agent,
      host: host.hostname,
      port: host.port,
      // SNI must be a name; for an IP literal Node would warn and send none.
      ...(isIP(host.hostname) ? {} : { servername: host.hostname }),
      method: request.method,
      path: requestTarget(request.path, request.query),
      headers: Object.assign(Object.create(null) as Record<string, string | string[]>, headers, {
        host: host.authority,
      }),
    });
    // The first cause wins: destroying a socket on purpose (too large, timeout) makes it report a reset too.
    let settled = false;
    const fail = (code: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new UpstreamError(code, req.reusedSocket, responseStarted));
    };
    const timer = setTimeout(
      () => {
        fail("ETIMEDOUT");
        req.destroy();
      },
      Math.max(1, deadline - Date.now()),
    );
    req.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
    refuseUpgrade(req, fail);
    const { signal } = options;
    const onAbort = () => {
      fail("ABORTED");
      req.destroy();
    };
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener("abort", onAbort, { once: true });
    req.once("close", () => signal?.removeEventListener("abort", onAbort));
    req.on("response", (res) => {
      responseStarted = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          fail("RESPONSE_TOO_LARGE");
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
      res.on("aborted", () => fail("ECONNRESET"));
      res.on("end", () => {
        clearTimeout(timer);
        if (!res.complete) return fail("ECONNRESET");
        if (settled) return;
        settled = true;
        resolve({
          statusCode: res.statusCode ?? 502,
          headers: pairsFromRaw(res.rawHeaders),
          body: Buffer.concat(chunks, size),
        });
      });
    });
    req.end(hasBody ? request.body : undefined);
  });
}

/** The function's upstream client: node:https on the module's keep-alive agent. */
export const sendUpstream = upstreamClient(sendOnce);
