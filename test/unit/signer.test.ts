import { describe, expect, it } from "vitest";
import type { ProxyRequest } from "../../lambda/core/proxy-request";
import { applyRules, encodeQueryComponent, requestTarget } from "../../lambda/signing/signer";
import { parseRules } from "../../lambda/signing/signing-rules";

const base: ProxyRequest = {
  method: "GET",
  path: "/user/repos",
  query: [
    ["page", "2"],
    ["api_key", "client-supplied"],
  ],
  headers: [
    ["Host", "api.example.com"],
    ["Authorization", "token DUMMY"],
    ["Accept", "application/json"],
  ],
  body: Buffer.alloc(0),
};

function sign(params: Record<string, string>, request: ProxyRequest = base) {
  const parsed = parseRules(
    "/p/api.example.com",
    Object.entries(params).map(([name, value]) => ({ name, value })),
  );
  return { ...parsed, signed: applyRules(request, parsed.rules) };
}

function header(req: ProxyRequest, name: string): string[] {
  return req.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

describe("signer", () => {
  it("headers: replaces the client's header of the same name, case-insensitively", () => {
    const { signed } = sign({ "/p/api.example.com/headers/authorization": "token SECRET" });
    expect(header(signed, "Authorization")).toEqual(["token SECRET"]);
    expect(header(signed, "Accept")).toEqual(["application/json"]);
  });

  it("basic: sets Authorization: Basic base64(user:pass), replacing any Authorization", () => {
    const { signed } = sign({
      "/p/api.example.com/basic/username": "alice",
      "/p/api.example.com/basic/password": "pä:ss",
      "/p/api.example.com/headers/Authorization": "token SECRET",
    });
    expect(header(signed, "authorization")).toEqual([
      `Basic ${Buffer.from("alice:pä:ss").toString("base64")}`,
    ]);
  });

  it("rewrite/path: the value is the raw, already-escaped path", () => {
    const { signed } = sign({ "/p/api.example.com/rewrite/path": "very/%20secret%2f/path" });
    expect(signed.path).toBe("/very/%20secret%2f/path");
    expect(requestTarget(signed.path, signed.query)).toBe(
      "/very/%20secret%2f/path?page=2&api_key=client-supplied",
    );
  });

  it("rewrite/path with a query: its pairs join the client's, before queries/ apply", () => {
    const { signed, ignored } = sign({
      "/p/api.example.com/rewrite/path": "/services/T0/B0/XXX?foo=bar&flag&api_key=from-path",
      "/p/api.example.com/queries/api_key": "SECRET",
    });
    expect(ignored).toEqual([]);
    expect(requestTarget(signed.path, signed.query)).toBe(
      "/services/T0/B0/XXX?page=2&foo=bar&flag&api_key=SECRET",
    );
  });

  it("a key written without `=` stays without one, an empty value keeps its `=`", () => {
    const { signed } = sign(
      { "/p/api.example.com/headers/X-Key": "v" },
      {
        ...base,
        query: [
          ["flag", null],
          ["e", ""],
        ],
      },
    );
    expect(requestTarget(signed.path, signed.query)).toBe("/user/repos?flag&e=");
  });

  it("queries: set or replace, encoded so the value decodes back to itself; other pairs kept", () => {
    const secret = "very secret%!#WE^T&*";
    const { signed } = sign({ "/p/api.example.com/queries/api_key": secret });
    const target = requestTarget(signed.path, signed.query);
    const parsed = new URL(target, "https://x");
    expect(parsed.searchParams.getAll("api_key")).toEqual([secret]);
    expect(parsed.searchParams.get("page")).toBe("2");
    expect(decodeURIComponent(encodeQueryComponent(secret))).toBe(secret);
  });

  it("queries: replaces a client pair whose key is written percent-encoded", () => {
    const request = { ...base, query: [["api%5Fkey", "mine"]] as Array<[string, string]> };
    const { signed } = sign({ "/p/api.example.com/queries/api_key": "x" }, request);
    expect(signed.query).toEqual([["api_key", "x"]]);
  });

  it("applies all four kinds together and reports them in order", () => {
    const { rules } = sign({
      "/p/api.example.com/queries/k": "v",
      "/p/api.example.com/rewrite/path": "/x",
      "/p/api.example.com/basic/username": "u",
      "/p/api.example.com/headers/X-Api-Key": "k",
    });
    expect(rules.kinds).toEqual(["headers", "basic", "rewrite", "queries"]);
  });

  it.each([
    ["/p/api.example.com/headers/Bad Name", "SECRET-header", /token/],
    ["/p/api.example.com/headers/X-Ok", "a\r\nInjected: yes", /control/],
    ["/p/api.example.com/rewrite/path", "a b", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x?a=b#SECRET-fragment", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x#SECRET-fragment", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x?a=SECRET\r\nInjected: yes", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x?a=SECRET b", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x?a=SECRET-café", /percent-encoded/],
    ["/p/api.example.com/rewrite/path", "/x?a=%ZZSECRET", /percent-encoded/],
    ["/p/api.example.com/rewrite/other", "SECRET-rewrite", /rewrite\/path/],
    ["/p/api.example.com/cookies/x", "SECRET-cookie", /unknown kind/],
    ["/p/api.example.com/basic/password", "only-password", /username is missing/],
  ])("ignores %s with a reason, and never echoes the value", (name, value, reason) => {
    const { ignored, rules } = sign({ [name]: value });
    expect(rules.kinds).toEqual([]);
    expect(ignored).toHaveLength(1);
    expect(ignored[0]?.reason).toMatch(reason);
    expect(JSON.stringify(ignored)).not.toContain(value);
  });

  it("leaves the request untouched when there are no rules", () => {
    const { signed } = sign({});
    expect(signed).toEqual(base);
  });
});
