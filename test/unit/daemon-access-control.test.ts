import { describe, expect, it } from "vitest";
import { checkProxyToken, isAllowed, parseAllowList } from "../../proxy-daemon/http/access-control";

function allow(cidrs: string) {
  const list = parseAllowList(cidrs);
  if ("kind" in list) throw new Error(list.message);
  return list;
}

describe("--allow", () => {
  it.each([
    ["10.0.0.0/8", "10.20.30.40", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["10.0.0.0/8", "::ffff:10.1.2.3", true], // an IPv4 client on a dual-stack socket
    ["192.168.1.7", "192.168.1.7", true],
    ["192.168.1.7", "192.168.1.8", false],
    ["fd00::/8", "fd12::1", true],
    ["fd00::/8", "127.0.0.1", false],
    ["", "203.0.113.9", true], // no list: everyone who reaches the socket
  ])("%s lets %s in: %s", (cidrs, address, expected) => {
    expect(isAllowed(allow(cidrs), address)).toBe(expected);
  });

  it.each(["10.0.0.0/", "10.0.0.0/8/8", "example.com", "300.1.1.1/8", "::1/129"])("refuses %s", (cidr) => {
    expect(parseAllowList(cidr)).toMatchObject({ kind: "allow-error" });
  });
});

describe("--proxy-token", () => {
  it("accepts exactly `Bearer <token>` (scheme case-insensitive)", () => {
    expect(checkProxyToken("s3cret", "Bearer s3cret")).toBeUndefined();
    expect(checkProxyToken("s3cret", "bearer s3cret")).toBeUndefined();
  });

  it.each([
    undefined,
    "Bearer wrong",
    "Bearer s3cre",
    "Bearer s3cretX",
    "Basic czNjcmV0",
    "s3cret",
  ])("answers 407 with a Bearer challenge for %s, without echoing the token", (header) => {
    const refusal = checkProxyToken("s3cret", header);
    expect(refusal?.status).toBe(407);
    expect(refusal?.headers).toContainEqual(["Proxy-Authenticate", 'Bearer realm="ssm-sign-proxy"']);
    expect(refusal?.message).not.toContain("s3cret");
  });
});
