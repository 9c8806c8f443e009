/**
 * Hooking CONNECT tunnels into the server: connect/ decides and opens each tunnel, and what arrives inside an
 * intercepted one is fed back to this same server as a new connection, so it goes through the same handling.
 */
import type { Server } from "node:http";
import { type ConnectHandler, createConnectHandler } from "../connect/connect-handler";
import type { ProxyServerOptions } from "../proxy-server";
import type { RecordRequest } from "./request-record";

/** Installs the server's "connect" listener; `closeAll` ends every open tunnel (at stop). */
export function wireConnect(
  server: Server,
  options: ProxyServerOptions,
  record: RecordRequest,
): ConnectHandler {
  const tunnels = createConnectHandler({
    ...(options.connect ?? {}),
    allow: options.allow,
    ...(options.proxyToken !== undefined ? { proxyToken: options.proxyToken } : {}),
    log: options.log,
    serve: (socket) => server.emit("connection", socket),
    record,
  });
  server.on("connect", tunnels.handle);
  return tunnels;
}
