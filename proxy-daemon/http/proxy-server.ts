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
import { MAX_HEADER_BYTES } from "../../lambda/core/limits";
import type { CallerContext, HeaderPairs, ProxyResponse } from "../../lambda/core/proxy-request";
import {
  isRefusal,
  type Refusal,
  type RefusalCode,
  refusalCodeOf,
  refusalResponse,
  refuse,
} from "../../lambda/core/refusal";
import type { Invoker } from "../invoke/invoker";
import type { Health } from "../observe/health";
import type { Logger } from "../observe/logger";
import type { DaemonMetrics } from "../observe/metrics";
import { type AllowList, checkProxyToken, forbiddenClient, isAllowed } from "./access-control";
import { ownPage } from "./own-pages";
import { flattenPairs, headerValues, pairsFromRaw } from "./raw-headers";
import { clientErrorRefusal, rawRefusal } from "./raw-refusal";
import { readRequestBody } from "./request-body";
import { resolveTarget, type SelfNames } from "./request-target";
import { exchange } from "./signing-exchange";

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
  /** Host name and instance id for the function's audit log; the client address is added per request. */
  caller: () => CallerContext;
  /** Set while the signer is known not to work yet (Lambda mode start-up); requests get 503 with it. */
  notReadyReason: () => string | undefined;
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

const CONNECT_REFUSAL =
  "CONNECT is not supported: this proxy signs plain http:// requests and the signer upgrades them to HTTPS. " +
  "Request http://host/... instead of https://host/... (with curl: use an http:// URL; http_proxy, not https_proxy)";

const NO_BODY_STATUS = (status: number) => status < 200 || status === 204 || status === 304;

/**
 * What the writer gets, written as it is (only framing is recomputed): an own answer (a refusal, or an own
 * page), or a relayed one, which its invoker has already filtered for the client (the core in local mode, the
 * Lambda invoker on arrival). So an own 407 keeps its Proxy-Authenticate challenge (RFC 9110 §11.7.1) and a
 * relayed one never carries one, with no strip-and-re-add.
 */
type Answer =
  | { kind: "own"; response: ProxyResponse; code?: RefusalCode; close: boolean }
  | { kind: "relayed"; response: ProxyResponse; code?: RefusalCode; close: boolean };

function own(outcome: ProxyResponse | Refusal, close = false): Answer {
  return isRefusal(outcome)
    ? { kind: "own", response: refusalResponse(outcome), code: outcome.code, close }
    : { kind: "own", response: outcome, close };
}

export function createProxyServer(options: ProxyServerOptions): ProxyServer {
  const { log, metrics } = options;
  let selfNames: SelfNames = { hosts: new Set(["localhost", "127.0.0.1", "::1"]), port: -1 };
  let inFlight = 0;
  let draining = false;
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
    const { response } = answer;
    const close = answer.close;
    const headers: HeaderPairs = response.headers.filter(
      ([name]) => name.toLowerCase() !== "content-length" || req.method === "HEAD",
    );
    if (req.method !== "HEAD" && !NO_BODY_STATUS(response.statusCode)) {
      headers.push(["Content-Length", String(response.body.length)]);
    }
    if (close || draining) {
      headers.push(["Connection", "close"]);
      res.shouldKeepAlive = false;
    }
    res.writeHead(response.statusCode, flattenPairs(headers));
    res.end(req.method === "HEAD" || NO_BODY_STATUS(response.statusCode) ? undefined : response.body);
  }

  /** Works out the answer; `close` is set when unread body bytes make the connection unusable. */
  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    setHost: (h: string) => void,
  ): Promise<Answer> {
    const fail = (refusal: Refusal, close = true) => own(refusal, close);
    const remote = req.socket.remoteAddress;
    if (!isAllowed(options.allow, remote)) return fail(forbiddenClient(remote));
    const headers = pairsFromRaw(req.rawHeaders);
    // node:http refuses this already (strict parser); kept as a guard should that ever be relaxed.
    if (
      headerValues(headers, "transfer-encoding").length > 0 &&
      headerValues(headers, "content-length").length > 0
    ) {
      return fail(
        refuse(
          "request-malformed",
          "malformed request: Content-Length together with Transfer-Encoding is refused (RFC 9112 §6.3)",
        ),
      );
    }
    // node:http keeps only the first of several Host lines; RFC 9112 §3.2 says refuse such a request (400),
    // so two parties can never disagree about which host picks the secrets.
    if (headerValues(headers, "host").length > 1) {
      return fail(
        refuse("host-header-duplicate", "malformed request: more than one Host header (RFC 9112 §3.2)"),
      );
    }
    const target = resolveTarget(req.method ?? "GET", req.url ?? "", req.headers.host, selfNames);
    if (isRefusal(target)) return fail(target);
    if (target.kind === "own-page") {
      return own(await ownPage(req.method ?? "GET", target.path, options.health, metrics));
    }
    setHost(target.authority);
    if (options.proxyToken !== undefined) {
      const denied = checkProxyToken(options.proxyToken, req.headers["proxy-authorization"]);
      if (denied) return fail(denied);
    }
    const notReady = options.notReadyReason();
    if (notReady !== undefined)
      return fail(refuse("signer-not-ready", `signer not ready: ${notReady}`, [["Retry-After", "5"]]));

    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > options.maxBodyBytes) {
      return fail(
        refuse(
          "body-too-large",
          `request body of ${declared} bytes is over the --max-body limit of ${options.maxBodyBytes} bytes`,
        ),
      );
    }
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
    res.off("close", onClose);
    if (isRefusal(response)) return own(response);
    // The function strips an upstream's marker, so a marker here is the function's own answer.
    const code = refusalCodeOf(response.headers);
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
    try {
      const outcome = await answer(req, res, (h) => {
        host = h;
      });
      status = outcome.response.statusCode;
      code = outcome.code;
      if (!res.destroyed) writeResponse(req, res, outcome);
    } catch (err) {
      log.error(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        "unexpected error while proxying",
      );
      code = "internal-error";
      if (!res.headersSent && !res.destroyed)
        writeResponse(req, res, own(refuse("internal-error", "internal error in the daemon"), true));
    } finally {
      inFlight--;
      metrics.inFlight.dec();
      record(req.method ?? "-", host, status, started, code);
      if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
    }
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => void handle(req, res));

  // Expect: 100-continue: refuse an oversized body before the client sends it.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared <= options.maxBodyBytes) res.writeContinue();
    void handle(req, res);
  });

  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    const started = performance.now();
    socket.on("error", () => socket.destroy());
    const refusal = refuse("connect-refused", CONNECT_REFUSAL, [
      ["Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"],
    ]);
    socket.end(rawRefusal(refusal));
    record("CONNECT", req.url ?? "-", refusal.status, started, refusal.code);
  });

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
