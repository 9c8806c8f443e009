/**
 * Requests that arrive inside a CONNECT tunnel: the tunnel's authority picks the secrets, never the inner
 * request. An inner Host (or absolute URI) naming another host is answered 421 Misdirected Request
 * (RFC 9110 §15.5.20), so a client cannot get one host's secrets sent to another through a shared tunnel.
 */
import { isHostError, parseHost, type UpstreamHost } from "../../../lambda/core/host-key";
import { type Refusal, refuse } from "../../../lambda/core/refusal";
import type { RequestTarget } from "../request-target";
import { splitPathAndQuery } from "../request-target";

export interface Tunnel {
  /** Lower-cased host as in the CONNECT line, without brackets. */
  host: string;
  port: number;
  /** What the function gets as Host: the host, with `:port` unless 80 or 443. */
  upstream: UpstreamHost;
  /** Whether the client speaks TLS inside (interception) or plain HTTP. */
  tls: boolean;
  /** The client's address, checked against --allow per inner request as well. */
  client: string | undefined;
}

const tunnels = new WeakMap<object, Tunnel>();

export function markTunnel(socket: object, tunnel: Tunnel): void {
  tunnels.set(socket, tunnel);
}

export function tunnelOf(socket: object): Tunnel | undefined {
  return tunnels.get(socket);
}

/** Splits `host[:port]` (IPv6 in brackets); lower-cases the host. */
export function splitHostPort(authority: string): { host: string; port?: string } {
  const m = /^\[([^\]]*)\](?::(.*))?$/.exec(authority) ?? /^([^:]*)(?::([^:]*))?$/.exec(authority);
  if (!m) return { host: authority.toLowerCase() };
  return m[2] === undefined
    ? { host: (m[1] ?? "").toLowerCase() }
    : { host: (m[1] ?? "").toLowerCase(), port: m[2] };
}

/** The function's upstream for a tunnel to host:port, or the reason the host cannot have parameters. */
export function tunnelUpstream(host: string, port: number): UpstreamHost | Refusal {
  const parsed = parseHost(port === 80 || port === 443 ? host : `${host}:${port}`);
  if (isHostError(parsed)) return refuse("host-invalid", parsed.message);
  return parsed;
}

function sameHost(tunnel: Tunnel, authority: string): boolean {
  const { host, port } = splitHostPort(authority.trim());
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  const tunnelName = tunnel.host.endsWith(".") ? tunnel.host.slice(0, -1) : tunnel.host;
  return name === tunnelName && (port === undefined || Number(port) === tunnel.port);
}

export function tunnelTarget(
  tunnel: Tunnel,
  url: string,
  hostHeader: string | undefined,
): RequestTarget | Refusal {
  let pathAndQuery = url;
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^#]*)/.exec(url);
  if (absolute) {
    if (!sameHost(tunnel, absolute[1] ?? "")) return misdirected(tunnel, absolute[1] ?? "");
    pathAndQuery = absolute[2] ?? "/";
  } else if (!url.startsWith("/")) {
    return refuse(
      "request-target-invalid",
      `unsupported request target ${JSON.stringify(url.slice(0, 80))} inside the tunnel: expected /path`,
    );
  }
  if (hostHeader !== undefined && hostHeader.trim() !== "" && !sameHost(tunnel, hostHeader)) {
    return misdirected(tunnel, hostHeader);
  }
  const { path, query } = splitPathAndQuery(pathAndQuery);
  return { kind: "forward", authority: tunnel.upstream.authority, host: tunnel.upstream, path, query };
}

function misdirected(tunnel: Tunnel, named: string): Refusal {
  return refuse(
    "misdirected-request",
    `this tunnel is for ${tunnel.host}:${tunnel.port} but the request names ${JSON.stringify(named.slice(0, 100))}: open a tunnel (CONNECT) per host`,
  );
}
