/**
 * The upstream client of the daemon's `--local` mode: the signing core's `send` hook on undici's Agent (a Pool per
 * origin). Measured against node:https with the function's agent settings, it costs about a third less CPU per
 * request (test/bench/upstream-client-cpu.ts, docs/benchmarks.md). The function keeps node:https: undici would add
 * about 530 KB to its bundle and its cold start.
 *
 * Same contract and failures as lambda/upstream/upstream-client.ts, whose policy around attempts it shares
 * (upstream-policy.ts sendWithPolicy: metadata addresses, deadline, one retry, classification): redirects returned, bodies never
 * decoded, addresses checked after DNS resolution (the same guarded lookup), a body limit.
 */
import { Agent, type Dispatcher } from "undici";
import { flattenPairs } from "../../../lambda/core/header-pairs";
import type { UpstreamHost } from "../../../lambda/core/host-key";
import type { HeaderPairs, ProxyRequest } from "../../../lambda/core/proxy-request";
import { requestTarget } from "../../../lambda/signing/signer";
import { guardedLookup } from "../../../lambda/upstream/address-guard";
import { UpstreamError } from "../../../lambda/upstream/upstream-failure";
import { type SendOnce, upstreamClient } from "../../../lambda/upstream/upstream-policy";
import { sendsBody } from "../../../lambda/upstream/upstream-request";

export const agent = new Agent({
  connections: 256,
  // Idle connections close after 30 s, or earlier when the server says so (Keep-Alive: timeout=N).
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 30_000,
  connect: { lookup: guardedLookup as never },
});

/** undici's socket errors, in the codes the shared classifier knows. */
/** The request as undici dispatches it, for the buffered and the streamed attempt alike. */
export function dispatchOptions(host: UpstreamHost, request: ProxyRequest): Dispatcher.DispatchOptions {
  return {
    origin: `https://${host.authority}`,
    path: requestTarget(request.path, request.query),
    method: request.method as Dispatcher.HttpMethod,
    headers: flattenPairs(request.headers),
    body: sendsBody(request) ? request.body : null,
  } as Dispatcher.DispatchOptions;
}

export function codeOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  // undici destroys the socket on a 101 to a request that asked for no upgrade: a broken upstream, not a reset.
  if (e.code === "UND_ERR_SOCKET" && e.message === "bad upgrade") return "UPSTREAM_UPGRADE";
  const code = e.cause?.code ?? e.code ?? "ECONNRESET";
  if (code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED") return "ECONNRESET";
  if (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  )
    return "ETIMEDOUT";
  return code;
}

const sendOnce: SendOnce = (host, request, options, deadline) => {
  return new Promise((resolve, reject) => {
    let settled = false;
    let responseStarted = false;
    let abort: ((err: Error) => void) | undefined;
    const fail = (code: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settledListener();
      // undici reuses a kept-alive connection whenever it has one; a reset before any answer is retry-safe.
      reject(new UpstreamError(code, true, responseStarted));
      abort?.(new Error(code));
    };
    const timer = setTimeout(() => fail("ETIMEDOUT"), Math.max(1, deadline - Date.now()));
    // The client went away: stop the fetch at once rather than read an answer nobody will get.
    const { signal } = options;
    const onAbort = () => fail("ABORTED");
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener("abort", onAbort, { once: true });
    const settledListener = () => signal?.removeEventListener("abort", onAbort);
    let statusCode = 502;
    let headers: HeaderPairs = [];
    const chunks: Buffer[] = [];
    let size = 0;
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (settled) abortRequest(new Error("settled"));
      },
      onHeaders(status, raw) {
        responseStarted = true;
        statusCode = status;
        headers = [];
        for (let i = 0; i + 1 < raw.length; i += 2) {
          headers.push([(raw[i] as Buffer).toString("latin1"), (raw[i + 1] as Buffer).toString("latin1")]);
        }
        return true;
      },
      onData(chunk) {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          fail("RESPONSE_TOO_LARGE");
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        settledListener();
        resolve({ statusCode, headers, body: Buffer.concat(chunks, size) });
      },
      onError(err) {
        fail(codeOf(err));
      },
    };
    agent.dispatch(dispatchOptions(host, request), handler);
  });
};

export const sendUpstreamUndici = upstreamClient(sendOnce);
