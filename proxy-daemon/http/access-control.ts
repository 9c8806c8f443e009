/**
 * Who may use the daemon: `--allow CIDR,...` (others get 403) and `--proxy-token` (407 without it).
 * A proxy that attaches secrets must not be an open relay for anyone who can reach its port.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { type Refusal, refuse } from "../../lambda/core/refusal";

export interface AllowList {
  /** The CIDRs as given, for the start-up log line. */
  cidrs: string[];
  list: BlockList;
}

export interface AllowListError {
  kind: "allow-error";
  message: string;
}

export function parseAllowList(raw: string): AllowList | AllowListError {
  const list = new BlockList();
  const cidrs: string[] = [];
  for (const part of raw.split(",")) {
    const cidr = part.trim();
    if (cidr === "") continue;
    const [address = "", bits, extra] = cidr.split("/");
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (
      family === 0 ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max ||
      bits === ""
    ) {
      return {
        kind: "allow-error",
        message: `${JSON.stringify(cidr)} is not an IPv4 or IPv6 CIDR like 10.0.0.0/8`,
      };
    }
    list.addSubnet(address, prefix, family === 6 ? "ipv6" : "ipv4");
    cidrs.push(cidr);
  }
  return { cidrs, list };
}

/** An IPv4 client on a dual-stack socket shows up as `::ffff:a.b.c.d`; CIDRs are written for the IPv4 form. */
function normalizeClientAddress(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function isAllowed(allow: AllowList, remoteAddress: string | undefined): boolean {
  if (allow.cidrs.length === 0) return true;
  if (!remoteAddress) return false;
  const address = normalizeClientAddress(remoteAddress);
  const family = isIP(address);
  if (family === 0) return false;
  return allow.list.check(address, family === 6 ? "ipv6" : "ipv4");
}

export function forbiddenClient(remoteAddress: string | undefined): Refusal {
  return refuse(
    "client-not-allowed",
    `client ${remoteAddress ?? "(unknown)"} is not in the daemon's --allow list`,
  );
}

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** Compares in constant time: hashing first makes the lengths equal, so timing reveals nothing. */
export function checkProxyToken(
  expected: string,
  proxyAuthorization: string | undefined,
): Refusal | undefined {
  const challenge: Array<[string, string]> = [["Proxy-Authenticate", 'Bearer realm="ssm-sign-proxy"']];
  if (proxyAuthorization === undefined) {
    return refuse(
      "proxy-token-required",
      "this daemon requires Proxy-Authorization: Bearer <proxy token>",
      challenge,
    );
  }
  const match = /^Bearer\s+(.+)$/i.exec(proxyAuthorization.trim());
  const given = match?.[1] ?? "";
  if (!timingSafeEqual(digest(given), digest(expected)) || !match) {
    return refuse(
      "proxy-token-invalid",
      "the Proxy-Authorization bearer token does not match the daemon's --proxy-token",
      challenge,
    );
  }
  return undefined;
}
