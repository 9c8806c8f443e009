/**
 * Where a request goes: the daemon's own pages, or a third-party host (and then which one).
 *
 * Absolute form (`GET http://host/path`, RFC 9112 §3.2.2): the URI's host wins over any Host header, so the
 * host that picks the secrets is always the host that receives them. Origin form (`GET /path` + Host): the
 * daemon's own pages when Host names the daemon, otherwise forwarded to Host (the original allowed
 * `curl -H 'Host: api.github.com' localhost:8000/...`).
 */

import { isHostError, parseHost, type UpstreamHost } from "../../lambda/core/host-key";
import type { QueryPairs } from "../../lambda/core/proxy-request";
import { splitQuery } from "../../lambda/core/query-syntax";
import { type Refusal, refuse } from "../../lambda/core/refusal";

export type RequestTarget =
  | { kind: "own-page"; path: string }
  | {
      kind: "forward";
      /** What the function gets as Host: lower-cased host, `:port` unless default. */
      authority: string;
      /** The same, parsed once: the signing core takes it as is. */
      host: UpstreamHost;
      /** Raw path, still percent-encoded, without the query. */
      path: string;
      query: QueryPairs;
    };

/** The names under which a client may address the daemon itself. */
export interface SelfNames {
  hosts: ReadonlySet<string>;
  port: number;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

/** `/path?a=1&b` -> raw path and raw pairs (no decoding: the signer sees what the client sent; `b` keeps no `=`). */
export function splitPathAndQuery(pathAndQuery: string): { path: string; query: QueryPairs } {
  const q = pathAndQuery.indexOf("?");
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q === -1 ? [] : splitQuery(pathAndQuery.slice(q + 1));
  return { path: path === "" ? "/" : path, query };
}

/** Splits `host[:port]`, keeping IPv6 brackets; lower-cases the host. */
function splitAuthority(authority: string): { host: string; port?: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(authority);
  if (!m) return { host: authority.toLowerCase() };
  const result: { host: string; port?: string } = { host: (m[1] ?? "").toLowerCase() };
  if (m[2] !== undefined) result.port = m[2];
  return result;
}

function isSelf(authority: string, self: SelfNames): boolean {
  const { host, port } = splitAuthority(authority);
  return port !== undefined && Number(port) === self.port && self.hosts.has(host.replace(/^\[|\]$/g, ""));
}

/** Normalises an authority for the function: `:80` is the http default and means "the API's usual port". */
function forwardHost(authority: string): UpstreamHost | Refusal {
  const { host, port } = splitAuthority(authority);
  const normalized = port === undefined || port === "80" || port === "" ? host : `${host}:${port}`;
  const parsed = parseHost(normalized);
  if (isHostError(parsed)) return refuse("host-invalid", parsed.message);
  return parsed;
}

export function resolveTarget(
  method: string,
  url: string,
  hostHeader: string | undefined,
  self: SelfNames,
): RequestTarget | Refusal {
  if (url.startsWith("/")) {
    if (hostHeader === undefined || hostHeader.trim() === "") {
      return refuse(
        "host-invalid",
        "origin-form request without Host: use an absolute http:// URL (set http_proxy) or send Host",
      );
    }
    const { path, query } = splitPathAndQuery(url);
    if (isSelf(hostHeader.trim(), self)) return { kind: "own-page", path };
    const host = forwardHost(hostHeader.trim());
    if ("code" in host) return host;
    return { kind: "forward", authority: host.authority, host, path, query };
  }
  const m = SCHEME.exec(url);
  if (!m) {
    return refuse(
      "request-target-invalid",
      `unsupported request target ${JSON.stringify(url.slice(0, 80))} for ${method}: expected http://host/path or /path`,
    );
  }
  const scheme = (m[1] ?? "").toLowerCase();
  const rawAuthority = m[2] ?? "";
  if (scheme === "https") {
    return refuse(
      "scheme-unsupported",
      "https:// URLs cannot be signed by a forward proxy: request http://... instead; the signer sends it on over HTTPS",
    );
  }
  if (scheme !== "http")
    return refuse(
      "scheme-unsupported",
      `unsupported URL scheme ${JSON.stringify(scheme)}: only http:// is accepted`,
    );
  // Credentials in a URL would be forwarded to the third party next to the injected ones: refuse (RFC 9110 §4.2.4).
  if (rawAuthority.includes("@"))
    return refuse(
      "userinfo-refused",
      "URLs with userinfo (user:password@host) are refused; put credentials in Parameter Store",
    );
  if (rawAuthority === "") return refuse("host-invalid", "absolute URL without a host");
  const { path, query } = splitPathAndQuery(m[3] ?? "");
  if (isSelf(rawAuthority, self)) return { kind: "own-page", path };
  const host = forwardHost(rawAuthority);
  if ("code" in host) return host;
  return { kind: "forward", authority: host.authority, host, path, query };
}
