/**
 * The streaming twin of undici-upstream.ts for `--local`: the signing core's `open` hook. Resolves at the API's
 * status and headers with the body as a stream read with back-pressure (undici pauses the socket while the
 * stream's buffer is full). Unlike the function's node:https `openUpstream`, it honours the request's abort
 * signal: a client that hangs up stops the upstream fetch at once, before or after the headers.
 * A failure after the headers (reset, deadline, over the size limit, the client gone) errors the body stream.
 */
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { UpstreamHost } from "../../../lambda/core/host-key";
import type { HeaderPairs, ProxyRequest } from "../../../lambda/core/proxy-request";
import type { StreamedResponse } from "../../../lambda/core/streamed-response";
import { classify, UpstreamError, type UpstreamFailure } from "../../../lambda/upstream/upstream-failure";
import { sendWithPolicy } from "../../../lambda/upstream/upstream-policy";
import type { UpstreamOptions } from "../../../lambda/upstream/upstream-request";
import { UpstreamStreamError } from "../../../lambda/upstream/upstream-stream";
import { agent, codeOf, dispatchOptions } from "./undici-upstream";

function openOnce(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
  deadline: number,
): Promise<StreamedResponse> {
  return new Promise((resolve, reject) => {
    let done = false;
    let responseStarted = false;
    let abortRequest: ((err: Error) => void) | undefined;
    let resume: (() => void) | undefined;
    let body: Readable | undefined;
    let size = 0;
    const { signal } = options;
    const onAbort = () => fail("ABORTED");
    const finish = () => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    // The first cause wins; before the headers the attempt rejects (the policy may retry), after them the body errors.
    function fail(code: string) {
      if (done) return;
      finish();
      const error = new UpstreamError(code, true, responseStarted);
      if (body) body.destroy(new UpstreamStreamError(classify(host, error, options)));
      else reject(error);
      abortRequest?.(new Error(code));
    }
    const timer = setTimeout(() => fail("ETIMEDOUT"), Math.max(1, deadline - Date.now()));
    if (signal?.aborted) queueMicrotask(onAbort);
    else signal?.addEventListener("abort", onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        abortRequest = abort;
        if (done) abort(new Error("settled"));
      },
      onHeaders(status, raw, resumeReading) {
        responseStarted = true;
        resume = resumeReading;
        const headers: HeaderPairs = [];
        for (let i = 0; i + 1 < raw.length; i += 2) {
          headers.push([(raw[i] as Buffer).toString("latin1"), (raw[i + 1] as Buffer).toString("latin1")]);
        }
        const declared = Number(headers.find(([n]) => n.toLowerCase() === "content-length")?.[1]);
        if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
          fail("RESPONSE_TOO_LARGE");
          return false;
        }
        body = new Readable({
          read: () => resume?.(),
          destroy: (error, callback) => {
            // The reader went away (the client hung up, or the answer failed): stop reading from the API too.
            if (!done) {
              finish();
              abortRequest?.(new Error("reader gone"));
            }
            callback(error);
          },
        });
        resolve({ statusCode: status, headers, stream: body });
        return true;
      },
      onData(chunk) {
        size += chunk.length;
        if (size > options.maxResponseBytes) {
          fail("RESPONSE_TOO_LARGE");
          return false;
        }
        return body?.push(chunk) ?? false;
      },
      onComplete() {
        if (done) return;
        finish();
        body?.push(null);
      },
      onError(err) {
        fail(codeOf(err));
      },
    };
    agent.dispatch(dispatchOptions(host, request), handler);
  });
}

/** With the shared policy (metadata addresses, one deadline, one retry of a reset before any answer). */
export function openUpstreamUndici(
  host: UpstreamHost,
  request: ProxyRequest,
  options: UpstreamOptions,
): Promise<StreamedResponse | UpstreamFailure> {
  return sendWithPolicy(openOnce, host, request, options);
}
