/**
 * `CONNECT host:port`: who may tunnel (--allow, --proxy-token, never to link-local/metadata), then what runs
 * inside, told by the first byte the client sends after `200 Connection Established`:
 * - a TLS ClientHello (0x16): with --intercept, TLS is terminated with a leaf for host (tls-intercept);
 *   without it the tunnel is closed with the fix in the log;
 * - anything else: plain HTTP/1.1, handed to the proxy's own HTTP server, so every inner request takes the
 *   same access, signing and response path as an `http://host:port/…` request through http_proxy.
 * `--tunnel` hosts are passed through as raw TCP (raw-tunnel), never decrypted.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { isRefusal, type Refusal, type RefusalCode, refuse } from "../../../lambda/core/refusal";
import { isForbiddenAddress } from "../../../lambda/upstream/address-guard";
import type { Logger } from "../../observe/logger";
import type { LeafCache } from "../../tls/leaf-cache";
import { type AllowList, checkProxyToken, forbiddenClient, isAllowed } from "../access-control";
import { CONNECT_ESTABLISHED, writeRefusal } from "./raw-answer";
import { openRawTunnel } from "./raw-tunnel";
import { terminateTls } from "./tls-intercept";
import type { TunnelHosts } from "./tunnel-hosts";
import { markTunnel, splitHostPort, type Tunnel, tunnelUpstream } from "./tunnel-target";

/** Tunnels opened but not yet speaking (no first byte, or TLS handshake unfinished): a flood is bounded. */
export const MAX_PENDING_TUNNELS = 256;
const FIRST_BYTE_TIMEOUT_MS = 10_000;
const TLS_HANDSHAKE = 0x16;

export const INTERCEPT_HINT = "start the daemon with --intercept, or use http:// URLs";

/** What the daemon's options decide about tunnels. */
export interface ConnectSetup {
  /** Set with --intercept: leaves signed by the local CA. */
  leaves?: LeafCache;
  /** --tunnel: hosts passed through as raw TCP. */
  tunnelHosts?: TunnelHosts;
  maxPendingTunnels?: number;
}

export interface ConnectOptions extends ConnectSetup {
  allow: AllowList;
  proxyToken?: string;
  log: Logger;
  /** Hands a socket that speaks HTTP/1.1 to the proxy's HTTP server. */
  serve(socket: Duplex): void;
  record(method: string, host: string, status: number, started: number, code: RefusalCode | undefined): void;
}

function parseConnectTarget(target: string): { host: string; port: number } | Refusal {
  const { host, port } = splitHostPort(target);
  const n = Number(port);
  if (host === "" || port === undefined || !/^[0-9]{1,5}$/.test(port) || n < 1 || n > 65535) {
    return refuse(
      "request-target-invalid",
      `CONNECT needs host:port (RFC 9110 §9.3.6), got ${JSON.stringify(target.slice(0, 80))}`,
    );
  }
  return { host, port: n };
}

export interface ConnectHandler {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Destroys every tunnel still open (on stop: raw pass-through and silent tunnels are not HTTP connections). */
  closeAll(): void;
}

export function createConnectHandler(options: ConnectOptions): ConnectHandler {
  const { log } = options;
  const maxPending = options.maxPendingTunnels ?? MAX_PENDING_TUNNELS;
  let pending = 0;
  const open = new Set<Duplex>();

  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const started = performance.now();
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    const target = req.url ?? "";
    socket.on("error", () => socket.destroy());
    const refuseWith = (refusal: Refusal, reason?: string) => {
      writeRefusal(socket, refusal, reason);
      options.record("CONNECT", target.slice(0, 260), refusal.status, started, refusal.code);
    };

    const remote = req.socket.remoteAddress;
    if (!isAllowed(options.allow, remote)) {
      return refuseWith(forbiddenClient(remote));
    }
    if (options.proxyToken !== undefined) {
      const denied = checkProxyToken(options.proxyToken, req.headers["proxy-authorization"]);
      if (denied) return refuseWith(denied);
    }
    const parsed = parseConnectTarget(target);
    if ("status" in parsed) return refuseWith(parsed);
    const { host, port } = parsed;
    if (isIP(host) !== 0 && isForbiddenAddress(host)) {
      return refuseWith(
        refuse(
          "metadata-address",
          `tunnel to ${host}: link-local or metadata address; never dialled, by design`,
        ),
      );
    }
    if (pending >= maxPending) {
      return refuseWith(
        refuse("tunnel-limit", `more than ${maxPending} tunnels are opening at once; retry shortly`, [
          ["Retry-After", "1"],
        ]),
      );
    }

    if (options.tunnelHosts?.matches(host)) {
      pending++;
      openRawTunnel(socket, head, host, port, (outcome) => {
        pending--;
        if (outcome.error) log.warn({ host, port, error: outcome.error }, "pass-through tunnel refused");
        options.record("CONNECT", `${host}:${port}`, outcome.status, started, outcome.code);
      });
      return;
    }
    const upstream = tunnelUpstream(host, port);
    if (isRefusal(upstream)) return refuseWith(upstream);
    if (port === 443 && options.leaves === undefined) {
      const refusal = refuse(
        "connect-refused",
        `CONNECT to ${host}:443 means HTTPS inside the tunnel, which needs interception: ${INTERCEPT_HINT}`,
      );
      log.warn({ host, port, fix: INTERCEPT_HINT }, "CONNECT to a TLS port refused");
      return refuseWith(refusal, `HTTPS needs interception: ${INTERCEPT_HINT}`);
    }

    pending++;
    let counted = true;
    const settle = () => {
      if (counted) pending--;
      counted = false;
    };
    socket.once("close", settle);
    socket.write(CONNECT_ESTABLISHED);
    options.record("CONNECT", `${host}:${port}`, 200, started, undefined);

    const tunnel = (tls: boolean): Tunnel => ({ host, port, upstream, tls, client: remote });
    const onFirst = (first: number) => {
      if (first !== TLS_HANDSHAKE) {
        settle();
        markTunnel(socket, tunnel(false));
        options.serve(socket);
        socket.resume();
        return;
      }
      const leaves = options.leaves;
      if (leaves === undefined) {
        settle();
        log.warn(
          { host, port, fix: INTERCEPT_HINT },
          `the client started TLS inside a tunnel to ${host}:${port}; closing it: ${INTERCEPT_HINT}`,
        );
        socket.destroy();
        return;
      }
      terminateTls(socket, host, leaves, (outcome) => {
        settle();
        if (outcome.kind === "failed") {
          log.warn({ host, port, error: outcome.reason }, "intercepted tunnel closed");
          return;
        }
        markTunnel(outcome.socket, tunnel(true));
        options.serve(outcome.socket);
      });
    };

    if (head.length > 0) {
      socket.unshift(head);
      onFirst(head[0] ?? 0);
      return;
    }
    const timer = setTimeout(() => {
      log.info({ host, port }, `tunnel closed: no data within ${FIRST_BYTE_TIMEOUT_MS / 1000}s`);
      socket.destroy();
    }, FIRST_BYTE_TIMEOUT_MS);
    timer.unref();
    // The server's sockets are half-open capable: a client that gives up before speaking must free its place.
    const onEnd = () => socket.destroy();
    socket.once("end", onEnd);
    const onData = (chunk: Buffer) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.pause();
      socket.unshift(chunk);
      onFirst(chunk[0] ?? 0);
    };
    socket.on("data", onData);
    socket.once("close", () => clearTimeout(timer));
  };

  return {
    handle,
    closeAll() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}
