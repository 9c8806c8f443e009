/** `HOST:PORT` for --address: `127.0.0.1:8000`, `[::1]:8000`, `0.0.0.0:8000`, `:8000` (= loopback). */
import { isIP } from "node:net";

export interface ListenAddress {
  host: string;
  port: number;
}

export interface AddressError {
  kind: "address-error";
  message: string;
}

export function parseListenAddress(raw: string): ListenAddress | AddressError {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(raw.trim());
  if (!match) return { kind: "address-error", message: `expected HOST:PORT, got ${JSON.stringify(raw)}` };
  const port = Number(match[3]);
  if (port > 65535) return { kind: "address-error", message: `port ${port} is out of range 0-65535` };
  const bracketed = match[1];
  if (bracketed !== undefined && isIP(bracketed) !== 6) {
    return { kind: "address-error", message: `${JSON.stringify(bracketed)} is not an IPv6 address` };
  }
  // The Go original accepted ":8000"; we keep the spelling but not the all-interfaces meaning (loopback first).
  const host = bracketed ?? (match[2] === "" ? "127.0.0.1" : (match[2] ?? "127.0.0.1"));
  return { host, port };
}

/** Loopback-only listeners need no --allow or --proxy-token. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === "localhost" || lower === "::1" || /^127\.\d+\.\d+\.\d+$/.test(lower);
}

/** `host:port` as a URL authority, brackets around IPv6. */
export function formatAuthority(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What to put in http_proxy for a bound address. 0.0.0.0 and :: are where to listen, not where to connect:
 * on this host use loopback; elsewhere, this host's name or address.
 */
export function proxyHint(host: string, port: number, ownName: string): string {
  if (host === "0.0.0.0" || host === "::") {
    const local = host === "::" ? `[::1]:${port}` : `127.0.0.1:${port}`;
    return `set http_proxy=http://${local} on this host, http://${ownName}:${port} from others`;
  }
  return `set http_proxy=http://${formatAuthority(host, port)}`;
}
