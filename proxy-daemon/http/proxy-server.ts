/**
 * The forward proxy: an HTTP/1.1 server that turns each request into one signer invocation.
 *
 * Built on node:http with its parser in strict mode, so malformed framing (including Content-Length together
 * with Transfer-Encoding, the classic smuggling vector, RFC 9112 §6.3) is refused before our code runs.
 * Everything else that can go wrong gets a status and a one-line body naming the cause.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallerContext } from "../../lambda/core/proxy-request";
import { type RefusalCode, refuse } from "../../lambda/core/refusal";
import type { Invoker } from "../invoke/invoker";
import type { Health } from "../observe/health";
import type { Logger } from "../observe/logger";
import type { DaemonMetrics } from "../observe/metrics";
import type { AllowList } from "./access-control";
import type { ConnectSetup } from "./connect/connect-handler";
import { serialise } from "./connection-queue";
import { bufferedBytesBudget, MemoryBudget, type Ticket } from "./memory-budget";
import type { SelfNames } from "./request-target";
import { type Answer, own, writeAnswer } from "./response-writer";
import { answer } from "./server/answer";
import { clientErrorHandler } from "./server/client-error";
import { wireConnect } from "./server/connect-wiring";
import { createHttpServer } from "./server/http-server";
import { releaseWhenWritten, requestRecorder } from "./server/request-record";
import { selfNamesOf, unboundSelfNames } from "./server/self-names";
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

export function createProxyServer(options: ProxyServerOptions): ProxyServer {
  const { log, metrics } = options;
  let selfNames: SelfNames = unboundSelfNames();
  let inFlight = 0;
  let draining = false;
  const budget = new MemoryBudget({
    maxInFlight: options.maxInFlight ?? 256,
    maxBufferedBytes: options.maxBufferedBytes ?? bufferedBytesBudget(options.maxBodyBytes),
  });
  const writeTimeoutMs = (options.writeTimeoutSeconds ?? 30) * 1000;
  const idleWaiters: Array<() => void> = [];
  const answerContext = { options, selfNames: () => selfNames, budget };

  const server = createHttpServer(options.timeoutSeconds);
  const record = requestRecorder(metrics, log, options.mode);

  function writeResponse(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    writeAnswer(req, res, answer, draining);
    watchWrite(res, writeTimeoutMs, writeExpired);
  }

  const writeExpired = () =>
    log.info({ mode: options.mode, seconds: writeTimeoutMs / 1000 }, "client stopped reading: disconnected");

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
        answerContext,
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
      releaseWhenWritten(res, ticket);
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

  const tunnels = wireConnect(server, options, record);
  server.on("clientError", clientErrorHandler(metrics, log, options.mode));

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
          selfNames = selfNamesOf(host, address.port);
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
