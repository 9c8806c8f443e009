/**
 * Working out the answer to one request: admission, the memory it may hold, its body, and the signer's
 * exchange. Here so the server file keeps only the wiring and the request's bookkeeping around this.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pairsFromRaw } from "../../../lambda/core/header-pairs";
import {
  isRefusal,
  type Refusal,
  type RefusalCode,
  refusalCodeOf,
  refuse,
} from "../../../lambda/core/refusal";
import { isStreamedResponse, type StreamedResponse } from "../../../lambda/core/streamed-response";
import { admit } from "../admission";
import { tunnelOf } from "../connect/tunnel-target";
import type { MemoryBudget, Ticket } from "../memory-budget";
import { ownPage } from "../own-pages";
import type { ProxyServerOptions } from "../proxy-server";
import { readRequestBody } from "../request-body";
import type { SelfNames } from "../request-target";
import { type Answer, own } from "../response-writer";
import { exchange } from "../signing-exchange";

/** A relayed answer whose body streams (streamed-relay.ts); the whole ones go through writeAnswer. */
export type StreamedAnswer = {
  kind: "streamed";
  response: StreamedResponse;
  code?: RefusalCode;
  close: boolean;
};

/** What answer() needs from the server: its options, its current names, and the shared memory budget. */
export interface AnswerContext {
  options: ProxyServerOptions;
  selfNames: () => SelfNames;
  budget: MemoryBudget;
}

/** Works out the answer; `close` is set when unread body bytes make the connection unusable. */
export async function answer(
  context: AnswerContext,
  req: IncomingMessage,
  res: ServerResponse,
  setHost: (h: string) => void,
  setTicket: (t: Ticket) => void,
): Promise<Answer | StreamedAnswer> {
  const { options, budget } = context;
  const { log, metrics } = options;
  const fail = (refusal: Refusal, close = true) => own(refusal, close);
  // Inside a CONNECT tunnel, the tunnel decides the host and was authorised already (connect/).
  const tunnel = tunnelOf(req.socket);
  const remote = tunnel ? tunnel.client : req.socket.remoteAddress;
  const headers = pairsFromRaw(req.rawHeaders);
  const admission = admit(
    {
      remoteAddress: remote,
      method: req.method ?? "GET",
      url: req.url ?? "",
      headers,
      ...(tunnel ? { tunnel } : {}),
    },
    {
      allow: options.allow,
      ...(options.proxyToken !== undefined ? { proxyToken: options.proxyToken } : {}),
      ...(options.publicHealth ? { publicHealth: true } : {}),
      maxBodyBytes: options.maxBodyBytes,
      self: context.selfNames(),
      notReady: options.notReadyReason(),
    },
  );
  if (admission.kind === "refused") {
    if (admission.host !== undefined) setHost(admission.host);
    return fail(admission.refusal);
  }
  if (admission.kind === "own-page") {
    return own(await ownPage(req.method ?? "GET", admission.path, options.health, metrics));
  }
  const target = admission;
  setHost(target.host.authority);
  // Chunked bodies declare no size: the most they may become is held for them.
  const declared = req.headers["content-length"];
  const reserve =
    declared !== undefined ? Number(declared) : req.headers["transfer-encoding"] ? options.maxBodyBytes : 0;
  const ticket = budget.admit(reserve);
  if (typeof ticket === "string") {
    const message =
      ticket === "in-flight"
        ? "the daemon is handling its --max-in-flight limit of requests; retry shortly"
        : "the daemon holds its --max-buffered limit of request and answer bodies in memory; retry shortly";
    return fail(refuse("daemon-busy", message, [["Retry-After", "1"]]), reserve > 0);
  }
  setTicket(ticket);
  const body = await readRequestBody(req, options.maxBodyBytes);
  if (body.kind === "too-large") {
    return fail(
      refuse("body-too-large", `request body is over the --max-body limit of ${options.maxBodyBytes} bytes`),
    );
  }
  if (body.kind === "aborted")
    return fail(refuse("body-incomplete", "the client closed the connection before sending the whole body"));

  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) abort.abort();
  };
  res.once("close", onClose);
  const response = await exchange(
    {
      method: req.method ?? "GET",
      host: target.host,
      path: target.path,
      query: target.query,
      headers,
      body: body.body,
    },
    {
      invoker: options.invoker,
      timeoutMs: options.timeoutSeconds * 1000,
      caller: { ...options.caller(), ...(remote ? { address: remote } : {}) },
      metrics,
      health: options.health,
      debug: (fields, msg) => log.debug(fields, msg),
    },
    abort.signal,
  );
  // A streamed answer keeps the listener: a hang-up mid-stream aborts the signer too (a whole one is done).
  if (isRefusal(response) || !isStreamedResponse(response)) res.off("close", onClose);
  // A streamed answer is never held whole (it flows with back-pressure); a buffered one is, until written.
  if (!isRefusal(response) && !isStreamedResponse(response)) ticket.hold(response.body.length);
  if (isRefusal(response)) return own(response);
  // The function strips an upstream's marker, so a marker here is the function's own answer.
  const code = refusalCodeOf(response.headers);
  if (isStreamedResponse(response)) {
    return code === undefined
      ? { kind: "streamed", response, close: false }
      : { kind: "streamed", response, code, close: false };
  }
  return code === undefined
    ? { kind: "relayed", response, close: false }
    : { kind: "relayed", response, code, close: false };
}
