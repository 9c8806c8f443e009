/**
 * Addresses the function never dials, checked at connect time (after DNS), so DNS rebinding cannot reach them:
 * link-local 169.254.0.0/16 (the EC2/ECS metadata services live there), fe80::/10, the EC2 IPv6 service range
 * fd00:ec2::/32 (metadata, DNS, EKS Pod Identity), "this network" 0.0.0.0/8, and the IPv4-mapped, -compatible
 * and NAT64 (64:ff9b::/96) spellings of those IPv4 addresses. Private and loopback ranges stay allowed: hosts are allowlisted by
 * their parameters, and internal APIs are a real use.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { isIPv4, isIPv6 } from "node:net";

function ipv4Forbidden(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number);
  return (a === 169 && b === 254) || a === 0;
}

function expandIPv6(ip: string): number[] | undefined {
  const zoneless = ip.split("%")[0] ?? ip;
  const [head, tail] = zoneless.split("::");
  const parse = (part: string | undefined): number[] => {
    if (!part) return [];
    const groups: number[] = [];
    for (const g of part.split(":")) {
      if (isIPv4(g)) {
        const [a = 0, b = 0, c = 0, d = 0] = g.split(".").map(Number);
        groups.push((a << 8) | b, (c << 8) | d);
      } else groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };
  const h = parse(head);
  const t = parse(tail);
  if (zoneless.includes("::")) return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return h.length === 8 ? h : undefined;
}

/** Whether an IP literal is one the function must never connect to. */
export function isForbiddenAddress(ip: string): boolean {
  if (isIPv4(ip)) return ipv4Forbidden(ip);
  if (!isIPv6(ip)) return false;
  const g = expandIPv6(ip);
  if (!g) return true;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  if ((g0 & 0xffc0) === 0xfe80) return true;
  // fd00:ec2::/32 holds the EC2 service addresses: metadata (::254), DNS (::253), EKS Pod Identity (::23), …
  if (g0 === 0xfd00 && g1 === 0x0ec2) return true;
  // NAT64 (64:ff9b::/96, RFC 6052) translates to the embedded IPv4 address: 64:ff9b::a9fe:a9fe is 169.254.169.254.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return ipv4Forbidden(`${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`);
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, but not ::1 or ::) forms reach the IPv4 address.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || (g5 === 0 && g6 !== 0))) {
    return ipv4Forbidden(`${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`);
  }
  return false;
}

export const FORBIDDEN_ADDRESS_CODE = "ERR_SSM_SIGN_PROXY_FORBIDDEN_ADDRESS";

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A drop-in for `dns.lookup` as net/tls call it: resolves, then drops forbidden addresses. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  const wantsAll = (options as { all?: boolean }).all === true;
  const allOptions: LookupAllOptions = { ...(options as LookupAllOptions), all: true };
  dnsLookup(hostname, allOptions, (err, addresses) => {
    if (err) return callback(err, wantsAll ? [] : "");
    const allowed = addresses.filter((a) => !isForbiddenAddress(a.address));
    if (allowed.length === 0) {
      const error: NodeJS.ErrnoException = new Error(
        `${hostname} resolves only to link-local or metadata addresses`,
      );
      error.code = FORBIDDEN_ADDRESS_CODE;
      return callback(error, wantsAll ? [] : "");
    }
    if (wantsAll) return callback(null, allowed);
    const first = allowed[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}
