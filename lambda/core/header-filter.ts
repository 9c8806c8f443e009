/**
 * Which headers cross the function, in each direction. Pure.
 *
 * Hop-by-hop fields (RFC 9110 §7.6.1, and RFC 9112 §9.6 / §7 for TE, Transfer-Encoding, Upgrade) belong to one
 * connection only, and so do the fields a `Connection` header names. `Proxy-*` fields are for us, not the origin.
 * Fields that describe our internal network never reach a third party.
 */
import type { HeaderPairs } from "./proxy-request";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const INTERNAL_TO_UPSTREAM = new Set([
  "x-forwarded-for",
  "x-forwarded-port",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-amzn-trace-id",
  "x-real-ip",
  "forwarded",
  "via",
  // The upstream's Host comes from the URL we dial, never from the client (RFC 9112 §3.2.2).
  "host",
  // Framing is recomputed from the body we actually send.
  "content-length",
]);

function connectionNamed(headers: HeaderPairs): Set<string> {
  const named = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== "connection") continue;
    for (const token of value.split(",")) {
      const t = token.trim().toLowerCase();
      if (t) named.add(t);
    }
  }
  return named;
}

function isHopByHop(lower: string, named: Set<string>): boolean {
  return HOP_BY_HOP.has(lower) || lower.startsWith("proxy-") || named.has(lower);
}

export function requestHeadersForUpstream(headers: HeaderPairs): HeaderPairs {
  const named = connectionNamed(headers);
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return !isHopByHop(lower, named) && !INTERNAL_TO_UPSTREAM.has(lower);
  });
}

export function responseHeadersForClient(headers: HeaderPairs): HeaderPairs {
  const named = connectionNamed(headers);
  return headers.filter(([name]) => !isHopByHop(name.toLowerCase(), named));
}
