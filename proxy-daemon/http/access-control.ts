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

/** `Basic` first: clients that wait for a challenge (curl, wget, Python with user:TOKEN@ in http_proxy) use it. */
const CHALLENGE: Array<[string, string]> = [
  ["Proxy-Authenticate", 'Basic realm="ssm-sign-proxy"'],
  ["Proxy-Authenticate", 'Bearer realm="ssm-sign-proxy"'],
];

const ACCEPTED =
  "Proxy-Authorization: Bearer TOKEN, or Basic with the token as the password (http_proxy=http://user:TOKEN@host:port)";

/**
 * The token a Proxy-Authorization header carries: `Bearer TOKEN`, or `Basic base64(anything:TOKEN)` (the user
 * name is ignored: clients need one to put a password in a URL). Undefined for any other shape.
 */
export function presentedToken(proxyAuthorization: string): string | undefined {
  const match = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(proxyAuthorization.trim());
  if (!match) return undefined;
  const [, scheme = "", credentials = ""] = match;
  if (scheme.toLowerCase() === "bearer") return credentials;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return undefined;
  const decoded = Buffer.from(credentials, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** Compares in constant time: hashing first makes the lengths equal, so timing reveals nothing. */
export function checkProxyToken(
  expected: string,
  proxyAuthorization: string | undefined,
): Refusal | undefined {
  if (proxyAuthorization === undefined) {
    return refuse("proxy-token-required", `this daemon requires a proxy token: send ${ACCEPTED}`, CHALLENGE);
  }
  const given = presentedToken(proxyAuthorization);
  const same = timingSafeEqual(digest(given ?? ""), digest(expected));
  if (given === undefined) {
    return refuse(
      "proxy-token-invalid",
      `the Proxy-Authorization header is neither Bearer nor Basic: send ${ACCEPTED}`,
      CHALLENGE,
    );
  }
  if (!same) {
    return refuse(
      "proxy-token-invalid",
      `the proxy token in Proxy-Authorization does not match the daemon's --proxy-token; send ${ACCEPTED}`,
      CHALLENGE,
    );
  }
  return undefined;
}
