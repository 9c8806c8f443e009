/**
 * Host header -> the upstream to dial and the Parameter Store key that holds its secrets. Pure.
 *
 * SSM names allow only [a-zA-Z0-9_.-/], so a non-default port is written `<host>_<port>`; that is also why
 * `_` is refused inside host names: `a_8443` must never be reachable both as a host and as a:8443.
 */
import { isIPv4 } from "node:net";

export interface UpstreamHost {
  /** Lower-cased host name or IPv4 literal, without a trailing dot. */
  hostname: string;
  /** The TCP port to dial (443 unless given). */
  port: number;
  /** `hostname` or `hostname_port`: the path segment under the prefix. */
  key: string;
  /** `hostname` or `hostname:port`, as sent upstream in Host and used for SNI. */
  authority: string;
}

export interface HostError {
  kind: "host-error";
  message: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;

function hostError(message: string): HostError {
  return { kind: "host-error", message };
}

function describe(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
}

function parsePort(raw: string, text: string): number | HostError {
  if (!/^[0-9]{1,5}$/.test(text) || (text.length > 1 && text.startsWith("0"))) {
    return hostError(`invalid port in Host ${describe(raw)}: expected 1-65535`);
  }
  const port = Number(text);
  if (port < 1 || port > 65535) return hostError(`invalid port in Host ${describe(raw)}: expected 1-65535`);
  return port;
}

/** Validates a Host header value (RFC 9110 §7.2) and derives the upstream and its key. Never throws. */
export function parseHost(raw: string | undefined): UpstreamHost | HostError {
  if (raw === undefined || raw.trim() === "")
    return hostError("missing Host header: cannot tell which API to call");
  const value = raw.trim();
  if (value.includes("@"))
    return hostError(`Host ${describe(value)} contains userinfo, which is not allowed`);
  if (value.startsWith("[")) {
    return hostError(
      `Host ${describe(value)} is an IPv6 literal; Parameter Store names cannot hold one, use a DNS name`,
    );
  }
  const colon = value.lastIndexOf(":");
  let name = colon === -1 ? value : value.slice(0, colon);
  let port = 443;
  if (colon !== -1) {
    const parsed = parsePort(value, value.slice(colon + 1));
    if (typeof parsed !== "number") return parsed;
    port = parsed;
  }
  name = name.toLowerCase();
  // A fully qualified name may end with a dot; it names the same host.
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.length === 0) return hostError(`Host ${describe(value)} has no host name`);
  if (name.length > MAX_NAME) return hostError(`Host name is longer than ${MAX_NAME} characters`);
  if (!isIPv4(name)) {
    if (/^[0-9.]+$/.test(name)) return hostError(`Host ${describe(value)} is not a valid IPv4 address`);
    const labels = name.split(".");
    for (const label of labels) {
      if (!LABEL.test(label)) {
        return hostError(
          `Host ${describe(value)} is not a valid host name (RFC 1123: letters, digits and inner hyphens, dot-separated)`,
        );
      }
    }
  }
  const key = port === 443 ? name : `${name}_${port}`;
  const authority = port === 443 ? name : `${name}:${port}`;
  return { hostname: name, port, key, authority };
}

export function isHostError(value: unknown): value is HostError {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "host-error";
}
