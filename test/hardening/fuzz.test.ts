/**
 * Fuzzing the three parsers that face untrusted input: the function's event codec (and the handler behind it),
 * host validation, and the daemon's request-target parsing. Each property runs at least 10k cases
 * (FUZZ_RUNS, more under SOAK=1). The properties are the promises the README makes: never a throw, a clear 400
 * for a malformed event, the URI's host wins over Host, userinfo is never forwarded, keys are safe SSM names.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { isHostError, parseHost } from "../../lambda/core/host-key";
import type { AlbResult } from "../../lambda/core/proxy-request";
import { createHandler } from "../../lambda/handler/handler";
import type { Parameter, ParameterSource } from "../../lambda/parameters/parameter-source";
import { decodeEvent, encodeEvent, isCodecError } from "../../lambda/wire/event-codec";
import { resolveTarget, type SelfNames } from "../../proxy-daemon/http/request-target";
import { recordSection, SOAK } from "./support/figures";

const FUZZ_RUNS = SOAK ? 100_000 : 10_000;
const casesTried: Record<string, number> = {};
const count = (name: string) => {
  casesTried[name] = (casesTried[name] ?? 0) + 1;
};

afterAll(() => {
  const total = Object.values(casesTried).reduce((a, b) => a + b, 0);
  recordSection("fuzz", { totalCases: total, perProperty: casesTried, runsPerProperty: FUZZ_RUNS });
});

/** A fixed in-memory source: hosts named "signed.example" have one parameter, everything else has none. */
class FixedSource implements ParameterSource {
  reads = 0;
  async getParametersByPath(path: string): Promise<Parameter[]> {
    this.reads++;
    return path === "/signed.example" ? [{ name: "/signed.example/headers/X-Key", value: "v" }] : [];
  }
}

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/);
const validEvent = fc.record({
  httpMethod: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
  path: fc.stringMatching(/^\/[A-Za-z0-9\-._~%/]{0,30}$/),
  multiValueHeaders: fc.record({
    host: fc.constant(["unknown.example"]),
    "x-a": fc.array(fc.string(), { maxLength: 2 }),
  }),
  multiValueQueryStringParameters: fc.dictionary(token, fc.array(fc.string(), { maxLength: 2 }), {
    maxKeys: 3,
  }),
  body: fc.string({ maxLength: 40 }),
  isBase64Encoded: fc.boolean(),
});

/** A valid-looking event with one fault: a field removed, a field of the wrong type, or a body that is not base64. */
const mutatedEvent = fc
  .tuple(
    validEvent,
    fc.constantFrom(
      "httpMethod",
      "path",
      "multiValueHeaders",
      "multiValueQueryStringParameters",
      "body",
      "isBase64Encoded",
      "headers",
      "requestContext",
    ),
    fc.oneof(
      fc.constant("delete"),
      fc.constant("bad-base64"),
      fc.jsonValue().map((v) => ({ replace: v })),
    ),
  )
  .map(([event, field, fault]) => {
    const copy: Record<string, unknown> = { ...event };
    if (fault === "delete") delete copy[field];
    else if (fault === "bad-base64") {
      copy.isBase64Encoded = true;
      copy.body = `${event.body}!*not base64*`;
    } else copy[field] = fault.replace;
    return copy;
  });

function bodyText(result: AlbResult): string {
  return result.isBase64Encoded ? Buffer.from(result.body, "base64").toString("utf8") : result.body;
}

describe("fuzz: the function's event codec and handler", () => {
  const source = new FixedSource();
  const lines: Array<Record<string, unknown>> = [];
  const handler = createHandler({ source, log: (l) => lines.push(l), timeoutSeconds: 1 });

  it("decodeEvent never throws on any JSON value, and answers a request or a codec error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), mutatedEvent), (event) => {
        count("decodeEvent(any value)");
        const decoded = decodeEvent(event);
        if (isCodecError(decoded)) expect(decoded.message.length).toBeGreaterThan(0);
        else expect(decoded.path.startsWith("/")).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("the handler answers every malformed event with 400 'bad request event', never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), mutatedEvent), async (event) => {
        count("handler(malformed event)");
        const result = await handler(event);
        if (isCodecError(decodeEvent(event))) {
          expect(result.statusCode).toBe(400);
          expect(bodyText(result)).toMatch(/^bad request event: /);
        } else {
          // A well-formed event for a host without parameters: 407, or 400 for an unusable Host.
          expect([400, 407]).toContain(result.statusCode);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("bad base64 bodies are 400 whatever else the event holds", async () => {
    await fc.assert(
      fc.asyncProperty(validEvent, fc.stringMatching(/^[^A-Za-z0-9+/=]{1,8}$/), async (event, junk) => {
        count("handler(bad base64)");
        const result = await handler({ ...event, isBase64Encoded: true, body: `QUJD${junk}` });
        expect(result.statusCode).toBe(400);
        expect(bodyText(result)).toContain("not valid base64");
      }),
      { numRuns: Math.ceil(FUZZ_RUNS / 5) },
    );
  });

  it("a base64 body is accepted exactly when it is well-formed base64 (quartets, padding only at the end)", () => {
    const wellFormed = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const alphabet = fc.constantFrom(..."Ab9+/=-_ \n".split(""));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 12 }), (body) => {
        count("base64 body validation");
        const decoded = decodeEvent({
          httpMethod: "GET",
          path: "/",
          headers: {},
          body,
          isBase64Encoded: true,
        });
        expect(!isCodecError(decoded)).toBe(wellFormed.test(body));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("the daemon's own encoding of any request decodes on the function side", () => {
    fc.assert(
      fc.property(
        fc.record({
          method: token,
          path: fc.stringMatching(/^\/[A-Za-z0-9\-._~%/]{0,30}$/),
          query: fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 4 }),
          headers: fc.array(fc.tuple(token, fc.stringMatching(/^[\x20-\x7e]{0,30}$/)), { maxLength: 6 }),
          body: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
        }),
        (req) => {
          count("encodeEvent -> decodeEvent");
          const decoded = decodeEvent(JSON.parse(JSON.stringify(encodeEvent(req))));
          expect(isCodecError(decoded)).toBe(false);
          if (!isCodecError(decoded)) expect(decoded.body.equals(req.body)).toBe(true);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("fuzz: host validation", () => {
  const hostish = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.stringMatching(/^[A-Za-z0-9.\-_:[\]@%]{0,40}$/),
    fc.domain(),
    fc.ipV4(),
    fc.ipV6().map((ip) => `[${ip}]`),
  );

  it("never throws; every accepted Host yields a safe, canonical key that parses back to itself", () => {
    fc.assert(
      fc.property(hostish, (raw) => {
        count("parseHost(any string)");
        const host = parseHost(raw);
        if (isHostError(host)) {
          expect(host.message.length).toBeGreaterThan(0);
          return;
        }
        expect(host.key).toMatch(/^[a-z0-9.-]+(_[1-9][0-9]{0,4})?$/);
        expect(host.hostname.endsWith(".")).toBe(false);
        expect(parseHost(host.authority)).toEqual(host);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("upper case and a trailing dot name the same host (and the same parameters)", () => {
    fc.assert(
      fc.property(
        fc.domain(),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (name, port) => {
          count("parseHost(case, trailing dot)");
          const suffix = port === undefined ? "" : `:${port}`;
          const plain = parseHost(`${name}${suffix}`);
          const shouty = parseHost(`${name.toUpperCase()}.${suffix}`);
          expect(shouty).toEqual(plain);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("IPv6 literals and userinfo are refused with a message, never accepted", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.domain(), (ip, name) => {
        count("parseHost(IPv6, userinfo)");
        expect(isHostError(parseHost(`[${ip}]`))).toBe(true);
        expect(isHostError(parseHost(`user:pw@${name}`))).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("fuzz: the daemon's request-target parsing", () => {
  const self: SelfNames = { hosts: new Set(["localhost", "127.0.0.1", "::1"]), port: 8000 };
  const authority = fc.oneof(
    fc
      .tuple(fc.domain(), fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }))
      .map(([h, p]) => (p === undefined ? h : `${h}:${p}`)),
    fc.ipV4(),
    fc.ipV6().map((ip) => `[${ip}]`),
    fc.stringMatching(/^[A-Za-z0-9.\-_:[\]@%]{0,30}$/),
  );
  const pathQuery = fc.stringMatching(
    /^(\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]{0,20})?(\?[A-Za-z0-9=&%+]{0,20})?$/,
  );
  const method = fc.oneof(fc.constantFrom("GET", "POST", "HEAD", "DELETE", "PATCH"), token);

  it("never throws on any target, and absolute URIs with userinfo are never forwarded", () => {
    fc.assert(
      fc.property(
        method,
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.tuple(authority, pathQuery).map(([a, p]) => `http://${a}${p}`),
        ),
        fc.option(fc.string(), { nil: undefined }),
        (m, url, host) => {
          count("resolveTarget(any)");
          const target = resolveTarget(m, url, host, self);
          if ("status" in target) {
            expect(target.status).toBe(400);
            expect(target.message.length).toBeGreaterThan(0);
            return;
          }
          if (target.kind === "forward") {
            expect(isHostError(parseHost(target.authority))).toBe(false);
            expect(target.authority).not.toContain("@");
            expect(target.path.startsWith("/")).toBe(true);
          }
          if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) expect(target.kind).not.toBe("forward");
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("in absolute form the URI's host wins over any Host header", () => {
    fc.assert(
      fc.property(fc.domain(), fc.domain(), pathQuery, (uriHost, headerHost, pq) => {
        count("resolveTarget(URI vs Host)");
        const target = resolveTarget("GET", `http://${uriHost}${pq}`, headerHost, self);
        const expected = parseHost(uriHost);
        if (isHostError(expected)) {
          expect("status" in target).toBe(true);
          return;
        }
        expect(target).toMatchObject({ kind: "forward", authority: expected.authority });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
