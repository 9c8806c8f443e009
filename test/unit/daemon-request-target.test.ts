import { describe, expect, it } from "vitest";
import { resolveTarget, type SelfNames } from "../../proxy-daemon/http/request-target";

const self: SelfNames = { hosts: new Set(["localhost", "127.0.0.1", "::1", "build-host"]), port: 8000 };

describe("resolveTarget: absolute form", () => {
  it.each([
    ["http://api.github.com/user/repos", "api.github.com", "/user/repos", []],
    ["http://API.GitHub.com/", "api.github.com", "/", []],
    ["http://api.github.com", "api.github.com", "/", []],
    // :80 is the http default and means "the API's usual port" (HTTPS 443 for the signer).
    ["http://api.github.com:80/x", "api.github.com", "/x", []],
    // A key written without "=" keeps a null value, so that it reaches the API without one (and e= with one).
    [
      "http://localhost:8443/echo?a=1&b=%20c&flag&e=",
      "localhost:8443",
      "/echo",
      [
        ["a", "1"],
        ["b", "%20c"],
        ["flag", null],
        ["e", ""],
      ],
    ],
    ["http://api.example.com:443/p%2Fq?x=y#frag", "api.example.com", "/p%2Fq", [["x", "y"]]],
  ])("%s goes to %s", (url, authority, path, query) => {
    expect(resolveTarget("GET", url, "ignored.example", self)).toEqual({
      kind: "forward",
      authority,
      host: expect.objectContaining({ authority }),
      path,
      query,
    });
  });

  it("uses the URI's host, not a conflicting Host header (RFC 9112 §3.2.2)", () => {
    expect(resolveTarget("GET", "http://api.github.com/", "attacker.example", self)).toMatchObject({
      authority: "api.github.com",
    });
  });

  it.each([
    ["https://api.github.com/", 400, /request http:\/\//],
    ["http://user:pw@api.github.com/", 400, /userinfo/],
    ["ftp://files.example/", 400, /only http:\/\//],
    ["http:///nohost", 400, /without a host/],
    ["http://bad_host.example/", 400, /not a valid host name/],
    ["*", 400, /unsupported request target/],
  ])("refuses %s", (url, status, message) => {
    const target = resolveTarget("GET", url, undefined, self);
    expect(target).toMatchObject({ status });
    expect("message" in target ? target.message : "").toMatch(message);
  });

  it("treats an absolute URI naming the daemon itself as its own page", () => {
    expect(resolveTarget("GET", "http://localhost:8000/healthz", undefined, self)).toEqual({
      kind: "own-page",
      path: "/healthz",
    });
  });
});

describe("resolveTarget: origin form", () => {
  it.each([
    "127.0.0.1:8000",
    "localhost:8000",
    "LOCALHOST:8000",
    "[::1]:8000",
    "build-host:8000",
  ])("Host %s is the daemon itself", (host) => {
    expect(resolveTarget("GET", "/metrics?x=1", host, self)).toEqual({
      kind: "own-page",
      path: "/metrics",
    });
  });

  it("forwards to a foreign Host, like the original daemon", () => {
    expect(resolveTarget("GET", "/user", "api.github.com", self)).toEqual({
      kind: "forward",
      authority: "api.github.com",
      host: { hostname: "api.github.com", port: 443, key: "api.github.com", authority: "api.github.com" },
      path: "/user",
      query: [],
    });
    // Same name, another port: not us.
    expect(resolveTarget("GET", "/", "localhost:8443", self)).toMatchObject({
      kind: "forward",
      authority: "localhost:8443",
    });
  });

  it("needs a Host header", () => {
    expect(resolveTarget("GET", "/", undefined, self)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/without Host/),
    });
  });
});
