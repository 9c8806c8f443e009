/**
 * The streaming twin of sendUpstream: resolves as soon as the API's status and headers are in, with the body
 * as a stream that the caller reads at its own pace (the socket is paused while it does not read, so TCP slows
 * the API down: back-pressure). Same pool, address guard, redirects-not-followed and one retry of a reused
 * socket reset before any response byte (idempotent methods only) and immediate failure on an unasked-for 101
 * (`upstream-upgrade`) as upstream-client.ts: the policy is upstream-policy.ts, shared.
 * After the headers a failure (reset, timeout, over the size limit, an incomplete body) makes the body stream
 * emit an error: the caller must end its own answer abnormally, never as a short success.
 */
import https from "node:https";
import { isIP } from "node:net";
import { Transform } from "node:stream";
import { pairsFromRaw } from "../core/header-pairs";
import type { UpstreamHost } from "../core/host-key";
import type { ProxyRequest } from "../core/proxy-request";
import type { StreamedResponse } from "../core/streamed-response";
import { requestTarget } from "../signing/signer";
import { refuseUpgrade } from "./upgrade-guard";
import { agent } from "./upstream-client";
import { classify, UpstreamError, type UpstreamFailure } from "./upstream-failure";
import { sendWithPolicy } from "./upstream-policy";
import { BODYLESS, outgoingHeaders, type UpstreamOptions } from "./upstream-request";

/** A failure after the headers, carried by the body stream's error. The message is safe for logs. */
export class UpstreamStreamError extends Error {
  override readonly name = "UpstreamStreamError";
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
  }
}

function openOnce(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
): Promise<StreamedResponse> {
  const hasBody = request.body.length > 0 || !BODYLESS.has(request.method);
  const headers = outgoingHeaders(
    hasBody ? [...request.headers, ["content-length", String(request.body.length)]] : request.headers,
  );
  return new Promise((resolve, reject) => {
    let responseStarted = false;
    let settled = false;
    let body: Transform | undefined;
    const req = https.request({
      agent,
      host: host.hostname,
      port: host.port,
      ...(isIP(host.hostname) ? {} : { servername: host.hostname }),
      method: request.method,
      path: requestTarget(request.path, request.query),
      headers: { host: host.authority, ...headers },
    });
    // The first cause wins: destroying a socket on purpose (too large, timeout) makes it report a reset too.
    const fail = (code: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const error = new UpstreamError(code, req.reusedSocket, responseStarted);
      if (body) body.destroy(new UpstreamStreamError(classify(host, error, options)));
      else reject(error);
      req.destroy();
    };
    const timer = setTimeout(() => fail("ETIMEDOUT"), Math.max(1, deadline - Date.now()));
    req.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
    refuseUpgrade(req, fail);
    req.on("response", (res) => {
      responseStarted = true;
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > options.maxResponseBytes) return fail("RESPONSE_TOO_LARGE");
      let size = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            callback(null);
            fail("RESPONSE_TOO_LARGE");
            return;
          }
          callback(null, chunk);
        },
        destroy(error, callback) {
          // The reader went away (or failed): stop reading from the API too.
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            req.destroy();
          }
          callback(error);
        },
      });
      body = counted;
      res.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET"));
      res.on("aborted", () => fail("ECONNRESET"));
      res.on("close", () => {
        if (!res.complete) fail("ECONNRESET");
      });
      res.on("end", () => {
        if (!res.complete) return fail("ECONNRESET");
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        counted.end();
      });
      res.pipe(counted, { end: false });
      resolve({ statusCode: res.statusCode ?? 502, headers: pairsFromRaw(res.rawHeaders), stream: counted });
    });
    req.end(hasBody ? request.body : undefined);
  });
}

/** With the shared policy (upstream-policy.ts): metadata addresses, one deadline, one retry, classification. */
export function openUpstream(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
): Promise<StreamedResponse | UpstreamFailure> {
  return sendWithPolicy(openOnce, host, request, options);
}
