import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProxyRequest, ProxyResponse } from "../../lambda/core/proxy-request";
import {
  decodeEvent,
  decodeResult,
  encodeEvent,
  encodeResult,
  isCodecError,
} from "../../lambda/wire/event-codec";

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
const fieldValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const pathSegment = fc.stringMatching(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2}){0,12}$/);
const queryPart = fc.stringMatching(/^(?:[A-Za-z0-9\-._~!$'()*+,;:@/]|%[0-9A-F]{2}){0,12}$/);

const request: fc.Arbitrary<ProxyRequest> = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND"),
  path: fc.array(pathSegment, { maxLength: 5 }).map((segments) => `/${segments.join("/")}`),
  query: fc.array(
    fc.tuple(
      queryPart.filter((k) => k !== ""),
      queryPart,
    ),
    { maxLength: 6 },
  ),
  headers: fc.array(fc.tuple(token, fieldValue), { maxLength: 8 }),
  body: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
});

/**
 * The event is a JSON object keyed by name: repeated names are grouped, and within a name order and duplicates
 * are kept. Order *between* different names is not meaningful (RFC 9110 §5.3) and JSON objects do not keep it
 * for integer-like keys, so it is compared as a sorted grouping.
 */
function grouped(pairs: Array<[string, string]>): Array<[string, string[]]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of pairs) byName.set(name, [...(byName.get(name) ?? []), value]);
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe("event codec", () => {
  it("any request survives encodeEvent -> JSON -> decodeEvent byte for byte", () => {
    fc.assert(
      fc.property(request, (req) => {
        const wire = JSON.parse(JSON.stringify(encodeEvent(req)));
        const decoded = decodeEvent(wire);
        if (isCodecError(decoded)) throw new Error(decoded.message);
        expect(decoded.method).toBe(req.method);
        expect(decoded.path).toBe(req.path);
        // rawQueryString carries the exact text: order between names is kept too.
        expect(decoded.query).toEqual(req.query);
        expect(grouped(decoded.headers)).toEqual(grouped(req.headers));
        expect(decoded.body.equals(req.body)).toBe(true);
        expect(decoded.multiValue).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("any response survives encodeResult -> JSON -> decodeResult byte for byte, in both forms", () => {
    const response: fc.Arbitrary<ProxyResponse> = fc.record({
      statusCode: fc.integer({ min: 100, max: 599 }),
      headers: fc.array(fc.tuple(token, fieldValue), { maxLength: 8 }),
      body: fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
    });
    fc.assert(
      fc.property(response, (res) => {
        const decoded = decodeResult(JSON.parse(JSON.stringify(encodeResult(res, true))));
        if (isCodecError(decoded)) throw new Error(decoded.message);
        expect(decoded.statusCode).toBe(res.statusCode);
        expect(grouped(decoded.headers)).toEqual(grouped(res.headers));
        expect(decoded.body.equals(res.body)).toBe(true);
        const single = decodeResult(JSON.parse(JSON.stringify(encodeResult(res, false))));
        if (isCodecError(single)) throw new Error(single.message);
        expect(single.body.equals(res.body)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads the single-value ALB form and answers in it", () => {
    const decoded = decodeEvent({
      httpMethod: "GET",
      path: "/user",
      headers: { host: "api.github.com", "x-a": "1" },
      queryStringParameters: { q: "a%20b" },
      body: "",
      isBase64Encoded: false,
    });
    if (isCodecError(decoded)) throw new Error(decoded.message);
    expect(decoded.multiValue).toBe(false);
    expect(decoded.query).toEqual([["q", "a%20b"]]);
    const result = encodeResult(
      {
        statusCode: 200,
        headers: [
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
        ],
        body: Buffer.from("hi"),
      },
      false,
    );
    expect(result).toMatchObject({
      statusCode: 200,
      statusDescription: "200 OK",
      headers: { "set-cookie": "b=2" },
      body: "hi",
    });
    expect("multiValueHeaders" in result).toBe(false);
  });

  it("keeps two Set-Cookie headers apart in the multi-value form", () => {
    const result = encodeResult(
      {
        statusCode: 200,
        headers: [
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
        ],
        body: Buffer.alloc(0),
      },
      true,
    );
    expect(result).toMatchObject({ multiValueHeaders: { "set-cookie": ["a=1", "b=2"] } });
  });

  it("base64-encodes bodies that are not UTF-8 or are content-encoded, and only those", () => {
    const text = encodeResult({ statusCode: 200, headers: [], body: Buffer.from("héllo") }, true);
    expect(text).toMatchObject({ isBase64Encoded: false, body: "héllo" });
    const binary = encodeResult(
      { statusCode: 200, headers: [], body: Buffer.from([0xff, 0xfe, 0x00]) },
      true,
    );
    expect(binary).toMatchObject({ isBase64Encoded: true, body: "//4A" });
    const gzip = encodeResult(
      { statusCode: 200, headers: [["Content-Encoding", "gzip"]], body: Buffer.from("ascii") },
      true,
    );
    expect(gzip.isBase64Encoded).toBe(true);
  });

  it.each([
    ["not an object", "nope", /JSON object/],
    ["missing method", { path: "/", multiValueHeaders: {} }, /httpMethod/],
    ["method with a space", { httpMethod: "G ET", path: "/" }, /httpMethod/],
    ["relative path", { httpMethod: "GET", path: "x" }, /path/],
    ["path with a raw space", { httpMethod: "GET", path: "/a b" }, /percent-encoded/],
    ["headers of wrong type", { httpMethod: "GET", path: "/", multiValueHeaders: { a: "x" } }, /array/],
    [
      "header value with CRLF",
      { httpMethod: "GET", path: "/", headers: { a: "x\r\nInjected: 1" } },
      /control/,
    ],
    ["bad header name", { httpMethod: "GET", path: "/", headers: { "a b": "x" } }, /token/],
    [
      "bad base64",
      { httpMethod: "POST", path: "/", headers: {}, body: "!!!", isBase64Encoded: true },
      /base64/,
    ],
    ["body of wrong type", { httpMethod: "POST", path: "/", headers: {}, body: 12 }, /body/],
    [
      "isBase64Encoded not boolean",
      { httpMethod: "POST", path: "/", headers: {}, body: "", isBase64Encoded: "yes" },
      /boolean/,
    ],
  ])("rejects a malformed event (%s) with a message naming the problem", (_name, event, message) => {
    const decoded = decodeEvent(event);
    expect(isCodecError(decoded)).toBe(true);
    if (isCodecError(decoded)) expect(decoded.message).toMatch(message);
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        decodeEvent(value);
        decodeResult(value);
      }),
      { numRuns: 3000 },
    );
  });
});
