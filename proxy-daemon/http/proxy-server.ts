/**
 * The forward proxy: an HTTP/1.1 server that turns each request into one signer invocation.
 *
 * Built on node:http with its parser in strict mode, so malformed framing (including Content-Length together
 * with Transfer-Encoding, the classic smuggling vector, RFC 9112 §6.3) is refused before our code runs.
 * Everything else that can go wrong gets a status and a one-line body naming the cause.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces, hostname as osHostname } from "node:os";
import type { Duplex } from "node:stream";
import { pairsFromRaw } from "../../lambda/core/header-pairs";
import { MAX_HEADER_BYTES } from "../../lambda/core/limits";
import type { CallerContext } from "../../lambda/core/proxy-request";
import { isRefusal, type Refusal, type RefusalCode, refusalCodeOf, refuse } from "../../lambda/core/refusal";
import { isStreamedResponse, type StreamedResponse } from "../../lambda/core/streamed-response";
import type { Invoker } from "../invoke/invoker";
import type { Health } from "../observe/health";
import type { Logger } from "../observe/logger";
import type { DaemonMetrics } from "../observe/metrics";
import type { AllowList } from "./access-control";
import { admit } from "./admission";
import { type ConnectSetup, createConnectHandler } from "./connect/connect-handler";
import { tunnelOf } from "./connect/tunnel-target";
import { serialise } from "./connection-queue";
import { bufferedBytesBudget, MemoryBudget, type Ticket } from "./memory-budget";
import { ownPage } from "./own-pages";
import { clientErrorRefusal, rawRefusal } from "./raw-refusal";
import { readRequestBody } from "./request-body";
import type { SelfNames } from "./request-target";
import { type Answer, own, writeAnswer } from "./response-writer";
import { exchange } from "./signing-exchange";
import { relay } from "./streamed-relay";
import { watchWrite } from "./write-timeout";

export interface ProxyServerOptions {
  invoker: Invoker;
  mode: "lambda" | "local";
  metrics: DaemonMetrics;
  health: Health;
  log: Logger;
  maxBodyBytes: number;
  timeoutSeconds: number;
  allow: AllowList;
  proxyToken?: string;
  /** With a proxy token: serve /healthz and /metrics without it. @default false */
  publicHealth?: boolean;
  /** Requests handled at once, all connections together. @default 256 */
  maxInFlight?: number;
  /** Bytes of request and response bodies held at once. @default bufferedBytesBudget(maxBodyBytes) */
  maxBufferedBytes?: number;
  /** A client that accepts no byte of its answer for this long is disconnected. @default 30 */
  writeTimeoutSeconds?: number;
  /** Host name and instance id for the function's audit log; the client address is added per request. */
  caller: () => CallerContext;
  /** Set while the signer is known not to work yet (Lambda mode start-up); requests get 503 with it. */
  notReadyReason: () => string | undefined;
  /** CONNECT tunnels: interception (--intercept) and raw pass-through hosts (--tunnel). */
  connect?: ConnectSetup;
}

export interface ProxyServer {
  server: Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish within `graceMs`, then closes every connection. */
  stop(graceMs: number): Promise<void>;
  readonly inFlight: number;
}

/** Limits chosen on purpose rather than inherited (slowloris, oversized headers). */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** A relayed answer whose body streams (streamed-relay.ts); the whole ones go through writeAnswer. */
type StreamedAnswer = { kind: "streamed"; response: StreamedResponse; code?: RefusalCode; close: boolean };

export function createProxyServer(options: ProxyServerOptions): ProxyServer {
  const { log, metrics } = options;
  let selfNames: SelfNames = { hosts: new Set(["localhost", "127.0.0.1", "::1"]), port: -1 };
  let inFlight = 0;
  let draining = false;
  const budget = new MemoryBudget({
    maxInFlight: options.maxInFlight ?? 256,
    maxBufferedBytes: options.maxBufferedBytes ?? bufferedBytesBudget(options.maxBodyBytes),
  });
  const writeTimeoutMs = (options.writeTimeoutSeconds ?? 30) * 1000;
  const idleWaiters: Array<() => void> = [];

  const server = createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    // Uploading a body up to --max-body must fit; the signer has --timeout on top.
    requestTimeout: Math.max(60_000, options.timeoutSeconds * 1000),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: 2_000,
    // We answer a missing Host ourselves, with a message that says what to do.
    requireHostHeader: false,
  });

  function record(
    method: string,
    host: string,
    status: number,
    started: number,
    code: RefusalCode | undefined,
  ): void {
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ status: String(status) });
    metrics.duration.observe({ status: String(status) }, seconds);
    if (code !== undefined) metrics.refusals.inc({ code });
    const fields = { method, host, status, ms: Math.round(seconds * 10000) / 10, mode: options.mode };
    log.info(code === undefined ? fields : { ...fields, code }, "request");
  }

  function writeResponse(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    writeAnswer(req, res, answer, draining);
    watchWrite(res, writeTimeoutMs, writeExpired);
  }

  const writeExpired = () =>
    log.info({ mode: options.mode, seconds: writeTimeoutMs / 1000 }, "client stopped reading: disconnected");

  /** Works out the answer; `close` is set when unread body bytes make the connection unusable. */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    setHost: (h: string) => void,
    setTicket: (t: Ticket) => void,
  ): Promise<Answer | StreamedAnswer> {
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
        self: selfNames,
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
        refuse(
          "body-too-large",
          `request body is over the --max-body limit of ${options.maxBodyBytes} bytes`,
        ),
      );
    }
    if (body.kind === "aborted")
      return fail(
        refuse("body-incomplete", "the client closed the connection before sending the whole body"),
      );

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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    inFlight++;
    metrics.inFlight.inc();
    let host = "-";
    let status = 500;
    let code: RefusalCode | undefined;
    let ticket: Ticket | undefined;
    try {
      const outcome = await answer(
        req,
        res,
        (h) => {
          host = h;
        },
        (t) => {
          ticket = t;
        },
      );
      status = outcome.response.statusCode;
      code = outcome.code;
      if (outcome.kind === "streamed") {
        await relay(req, res, outcome.response, host, {
          draining,
          writeTimeoutMs,
          log,
          expired: writeExpired,
        });
      } else if (!res.destroyed) writeResponse(req, res, outcome);
    } catch (err) {
      log.error(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        "unexpected error while proxying",
      );
      code = "internal-error";
      if (!res.headersSent && !res.destroyed)
        writeResponse(req, res, own(refuse("internal-error", "internal error in the daemon"), true));
    } finally {
      // The bodies are held until the socket has taken the whole answer (or the client is gone).
      const held = ticket;
      if (held) {
        if (res.writableFinished || res.destroyed) held.release();
        else {
          res.once("finish", () => held.release());
          res.once("close", () => held.release());
        }
      }
      inFlight--;
      metrics.inFlight.dec();
      record(req.method ?? "-", host, status, started, code);
      if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    }
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) =>
    serialise(req, res, () => handle(req, res)),
  );

  // Expect: 100-continue: refuse an oversized body before the client sends it.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared <= options.maxBodyBytes) res.writeContinue();
    serialise(req, res, () => handle(req, res));
  });

  const tunnels = createConnectHandler({
    ...(options.connect ?? {}),
    allow: options.allow,
    ...(options.proxyToken !== undefined ? { proxyToken: options.proxyToken } : {}),
    log,
    serve: (socket) => server.emit("connection", socket),
    record,
  });
  server.on("connect", tunnels.handle);

  server.on(
    "clientError",
    (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
      if (err.code === "ECONNRESET" || !socket.writable || socket._httpMessage?.headersSent) {
        socket.destroy();
        return;
      }
      const refusal = clientErrorRefusal(err, MAX_HEADER_BYTES);
      const { status, code, message } = refusal;
      socket.end(rawRefusal(refusal), () => socket.destroy());
      metrics.requests.inc({ status: String(status) });
      metrics.refusals.inc({ code });
      log.info({ method: "-", host: "-", status, code, mode: options.mode, error: message }, "request");
    },
  );

  return {
    server,
    get inFlight() {
      return inFlight;
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          selfNames = {
            hosts: new Set(["localhost", "127.0.0.1", "::1", host.toLowerCase(), ...hostAliases(host)]),
            port: address.port,
          };
          resolve(address);
        });
      });
    },
    async stop(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      tunnels.closeAll();
      await closed;
    },
  };
}

/**
 * Other names of this host: its host name, and, when listening on every interface, every interface address
 * (`curl http://10.0.0.5:8000/healthz` must reach the daemon's page, not be sent on to 10.0.0.5 by the signer).
 */
function hostAliases(listenHost: string): string[] {
  const names = [process.env.HOSTNAME ?? "", osHostname()];
  if (listenHost === "0.0.0.0" || listenHost === "::") {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const info of addresses ?? []) names.push(info.address);
    }
  }
  return names.filter((h) => h !== "").map((h) => h.toLowerCase());
}
