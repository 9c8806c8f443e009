/**
 * Which event source built an event decides how its query is read (lambda/wire/event-source.ts), plus the
 * small pure pieces of the Go migration: the deployed host list and the URL redaction of function errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseHostList } from "../../lambda/core/host-list";
import { decodeEvent, decodeResult, isCodecError } from "../../lambda/wire/event-codec";
import { withoutQueryStrings } from "../../proxy-daemon/observe/redact-urls";

const base = { httpMethod: "GET", path: "/x", body: "", isBase64Encoded: false };
const query = (event: Record<string, unknown>) => {
  const decoded = decodeEvent({ ...base, multiValueHeaders: { Host: ["api.example.com"] }, ...event });
  if (isCodecError(decoded)) throw new Error(decoded.message);
  return { query: decoded.query, source: decoded.source, caller: decoded.caller };
};

describe("event sources", () => {
  it("requestContext.instance without elb or caller is the Go daemon: decoded values are encoded again", () => {
    const go = query({
      requestContext: { instance: { instance_id: "i-1", hostname: "old" } },
      queryStringParameters: { a: "x&y=z" },
      multiValueQueryStringParameters: { a: ["1 2", "x&y=z"], "k+": ["é"] },
    });
    expect(go.source).toBe("go-daemon");
    expect(go.query).toEqual([
      ["a", "1%202"],
      ["a", "x%26y%3Dz"],
      ["k%2B", "%C3%A9"],
    ]);
    expect(go.caller).toEqual({ mode: "go-daemon", instanceId: "i-1", hostname: "old" });
  });

  it("any decoded key and value is encoded so that it decodes back to itself (lone surrogates as U+FFFD)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 12 }),
        fc.string({ unit: "binary", maxLength: 12 }),
        (k, v) => {
          const go = query({
            requestContext: { instance: {} },
            multiValueQueryStringParameters: { [k]: [v] },
          });
          const [[key, value] = ["", ""]] = go.query;
          expect(key).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
          expect(value).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
          const wellFormed = (s: string) =>
            s.replace(/[\ud800-\udfff]/g, (c, i: number, all: string) => {
              const code = c.charCodeAt(0);
              const pair =
                code < 0xdc00
                  ? /[\udc00-\udfff]/.test(all[i + 1] ?? "")
                  : /[\ud800-\udbff]/.test(all[i - 1] ?? "");
              return pair ? c : "\ufffd";
            });
          expect(decodeURIComponent(key)).toBe(wellFormed(k));
          expect(decodeURIComponent(value ?? "")).toBe(wellFormed(v));
        },
      ),
      { numRuns: 2000 },
    );
    const lone = query({
      requestContext: { instance: {} },
      multiValueQueryStringParameters: { a: ["x\ud800"] },
    });
    expect(lone.query).toEqual([["a", "x%EF%BF%BD"]]);
  });

  it("the Go daemon's single-value field is used when the multi-value one is absent", () => {
    const go = query({ requestContext: { instance: {} }, queryStringParameters: { q: "a b" } });
    expect(go.query).toEqual([["q", "a%20b"]]);
  });

  it("an ALB event's values are used as sent, even with a stray rawQueryString", () => {
    const alb = query({
      requestContext: { elb: {}, instance: {} },
      multiValueQueryStringParameters: { q: ["a%20b"] },
      rawQueryString: "other=1",
    });
    expect(alb).toMatchObject({ source: "alb", query: [["q", "a%20b"]] });
  });

  it("our daemon's rawQueryString is the exact query; characters a request line cannot carry are refused", () => {
    const ours = query({ requestContext: { caller: { mode: "lambda" } }, rawQueryString: "b=1&flag&a=" });
    expect(ours).toMatchObject({
      source: "daemon",
      query: [
        ["b", "1"],
        ["flag", null],
        ["a", ""],
      ],
    });
    for (const raw of ["a=b c", "a=\r\n", "a=#b", 7]) {
      const decoded = decodeEvent({ ...base, multiValueHeaders: {}, rawQueryString: raw });
      expect(isCodecError(decoded)).toBe(true);
    }
  });

  it("a result with multiValueHeaders null is read from headers (the original function's 407)", () => {
    const decoded = decodeResult({
      statusCode: 407,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      multiValueHeaders: null,
      body: "x",
      isBase64Encoded: false,
    });
    expect(isCodecError(decoded) ? decoded.message : decoded.headers).toEqual([
      ["Content-Type", "text/plain; charset=utf-8"],
    ]);
  });
});

describe("the deployed host list", () => {
  it("reads host, host:port and host_port entries as keys; unset or blank is no list", () => {
    expect(parseHostList(undefined)).toBeUndefined();
    expect(parseHostList(" ")).toBeUndefined();
    expect([
      ...(parseHostList("API.github.com., example.com:8443,example.org_9000,x.com:443") ?? []),
    ]).toEqual(["api.github.com", "example.com_8443", "example.org_9000", "x.com"]);
  });

  it("fails closed: entries that are not host names match nothing", () => {
    expect([...(parseHostList("bad_host,[::1],a b") ?? [])]).toEqual([]);
  });
});

describe("function error messages in the daemon's log", () => {
  it.each([
    ['Get "https://h/p?access_token=S&x=1": dial tcp', 'Get "https://h/p?…": dial tcp'],
    ["Post https://h:8443/p?token=S: canceled", "Post https://h:8443/p?… canceled"],
    ["two http://a/?s=1 and https://b/c?t=2#f", "two http://a/?… and https://b/c?…#f"],
    ["no URL here?a=b", "no URL here?a=b"],
  ])("%s -> %s", (message, logged) => {
    expect(withoutQueryStrings(message)).toBe(logged);
  });
});
