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

const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString("base64")}`;

describe("--proxy-token", () => {
  it("accepts `Bearer <token>` (scheme case-insensitive)", () => {
    expect(checkProxyToken("s3cret", "Bearer s3cret")).toBeUndefined();
    expect(checkProxyToken("s3cret", "bearer s3cret")).toBeUndefined();
  });

  it("accepts Basic with the token as the password, whatever the user name (http_proxy=http://user:TOKEN@…)", () => {
    expect(checkProxyToken("s3cret", basic("user:s3cret"))).toBeUndefined();
    expect(checkProxyToken("s3cret", basic(":s3cret"))).toBeUndefined();
    expect(checkProxyToken("s3:cret", basic("ci:s3:cret"))).toBeUndefined();
    expect(checkProxyToken("s3cret", `basic ${Buffer.from("x:s3cret").toString("base64")}`)).toBeUndefined();
  });

  it.each([
    undefined,
    "Bearer wrong",
    "Bearer s3cre",
    "Bearer s3cretX",
    basic("s3cret:"), // the token as the user name is not the password
    basic("user:wrong"),
    "Basic czNjcmV0", // base64("s3cret"): no colon
    "Basic !!!",
    "Digest s3cret",
    "s3cret",
  ])("answers 407 with Basic and Bearer challenges for %s, without echoing the token", (header) => {
    const refusal = checkProxyToken("s3cret", header);
    expect(refusal?.status).toBe(407);
    expect(refusal?.headers).toContainEqual(["Proxy-Authenticate", 'Basic realm="ssm-sign-proxy"']);
    expect(refusal?.headers).toContainEqual(["Proxy-Authenticate", 'Bearer realm="ssm-sign-proxy"']);
    expect(refusal?.message).toMatch(/Bearer TOKEN, or Basic/);
    expect(refusal?.message).not.toContain("s3cret");
  });

  it("says what was wrong: missing, another scheme, or a token that does not match", () => {
    expect(checkProxyToken("s3cret", undefined)?.message).toMatch(/^this daemon requires a proxy token/);
    expect(checkProxyToken("s3cret", "Digest abc")?.message).toMatch(/neither Bearer nor Basic/);
    expect(checkProxyToken("s3cret", basic("u:nope"))?.message).toMatch(/does not match/);
  });
});
