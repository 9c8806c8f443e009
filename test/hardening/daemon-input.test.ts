/**
 * Bad input on the daemon's socket, sent as raw bytes: smuggling, oversized headers, userinfo, IPv6 literals,
 * odd host spellings, a Host that disagrees with the URI, NUL bytes, invalid methods, and fast-check generated
 * request heads. Every case gets a clear status (never a 500, never silence), nothing refused reaches the
 * upstream, and the daemon is still serving afterwards.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EchoResponse } from "../support/https-upstream";
import { receivedHeader } from "../support/received";
import { recordSection, SOAK } from "./support/figures";
import { type SignedSetup, startSignedSetup } from "./support/local-daemon";
import { header, payloadOf, type RawResponse, rawExchange } from "./support/raw-client";

let setup: SignedSetup;
let rawCases = 0;

beforeAll(async () => {
  setup = await startSignedSetup(["--timeout", "5"]);
});

afterAll(async () => {
  recordSection("daemonInput", { rawSocketCases: rawCases });
  await setup?.stop();
});

async function send(data: string | Buffer, halfClose = false): Promise<RawResponse> {
  rawCases++;
  const response = await rawExchange(setup.daemon.port, data, { halfClose });
  if (header(response, "x-ssm-sign-proxy-error") || response.status >= 400) {
    setup.errorBodies.push(response.body.toString("utf8"));
  }
  return response;
}

/** A request the upstream must not receive: the count of requests it saw stays the same. */
async function refusedBeforeUpstream(data: string | Buffer): Promise<RawResponse> {
  const before = setup.upstream.requests.length;
  const response = await send(data);
  expect(setup.upstream.requests.length).toBe(before);
  return response;
}

const authority = () => `localhost:${setup.upstream.port}`;
const echoOf = (response: RawResponse) => JSON.parse(payloadOf(response).toString("utf8")) as EchoResponse;
const hostSeen = (echo: EchoResponse) => echo.headers.find(([n]) => n.toLowerCase() === "host")?.[1];

describe("request smuggling (RFC 9112 §6.3)", () => {
  it.each([
    ["Content-Length then Transfer-Encoding", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"],
    ["Transfer-Encoding then Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"],
    ["two different Content-Lengths", "Content-Length: 4\r\nContent-Length: 40\r\n"],
    ["obfuscated Transfer-Encoding", "Transfer-Encoding: xchunked\r\n"],
    ["Transfer-Encoding with a space before the colon", "Transfer-Encoding : chunked\r\n"],
  ])("%s gets 400 and nothing reaches the upstream", async (_name, framing) => {
    const smuggled = `GET http://${authority()}/echo/smuggled HTTP/1.1\r\nHost: ${authority()}\r\n\r\n`;
    const response = await refusedBeforeUpstream(
      `POST http://${authority()}/echo HTTP/1.1\r\nHost: ${authority()}\r\n${framing}\r\n0\r\n\r\n${smuggled}`,
    );
    expect(response.status).toBe(400);
    expect(response.closed).toBe(true);
    expect(setup.upstream.requests.some((r) => r.path.includes("smuggled"))).toBe(false);
  });
});

describe("oversized headers", () => {
  it("one 20 KB header gets 431", async () => {
    const response = await refusedBeforeUpstream(
      `GET http://${authority()}/echo HTTP/1.1\r\nHost: ${authority()}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(response.status).toBe(431);
  });

  it("many small headers adding up to more than 16 KB get 431", async () => {
    const many = Array.from({ length: 800 }, (_, i) => `X-H${i}: ${"b".repeat(20)}\r\n`).join("");
    const response = await refusedBeforeUpstream(
      `GET http://${authority()}/echo HTTP/1.1\r\nHost: ${authority()}\r\n${many}\r\n`,
    );
    expect(response.status).toBe(431);
  });
});

describe("the request target", () => {
  it.each([
    ["alice:s3cret-pw@", "s3cret-pw"],
    ["tok3n-only@", "tok3n-only"],
    ["a%40b:c0ded@", "c0ded"],
  ])("an absolute URI with userinfo %s is refused with 400, never forwarded", async (userinfo, credential) => {
    const response = await refusedBeforeUpstream(
      `GET http://${userinfo}${authority()}/echo HTTP/1.1\r\nHost: ${authority()}\r\n\r\n`,
    );
    expect(response.status).toBe(400);
    expect(response.body.toString()).toMatch(/userinfo/);
    expect(response.body.toString()).not.toContain(credential);
  });

  it.each([
    `http://[::1]:PORT/echo`,
    `http://[fe80::1%25eth0]/echo`,
    `http://[fd00:ec2::254]/latest/meta-data/`,
    `http://[::ffff:169.254.169.254]/`,
  ])("the IPv6 literal %s gets 400 naming the cause", async (target) => {
    const url = target.replace("PORT", String(setup.upstream.port));
    const response = await refusedBeforeUpstream(`GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.status).toBe(400);
    expect(response.body.toString()).toMatch(/IPv6 literal|not a valid/);
  });

  it("an IPv6 literal in Host (origin form) gets 400 too", async () => {
    const response = await refusedBeforeUpstream(
      `GET /echo HTTP/1.1\r\nHost: [::1]:${setup.upstream.port}\r\n\r\n`,
    );
    expect(response.status).toBe(400);
  });

  it.each([
    ["upper case", () => `LOCALHOST:${setup.upstream.port}`],
    ["mixed case", () => `LocalHost:${setup.upstream.port}`],
    ["a trailing dot", () => `localhost.:${setup.upstream.port}`],
    ["upper case and a trailing dot", () => `LOCALHOST.:${setup.upstream.port}`],
  ])("a host in %s names the same API: signed and answered", async (_name, spelled) => {
    const response = await send(
      `GET http://${spelled()}/echo/case HTTP/1.1\r\nHost: ${spelled()}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    const echo = echoOf(response);
    expect(hostSeen(echo)).toBe(authority());
    expect(receivedHeader(setup.upstream, "/echo/case", "X-Api-Key")).toEqual([setup.apiKey]);
  });

  it("a Host header that conflicts with the URI loses: the URI's host picks the secrets and receives them", async () => {
    const response = await send(
      `GET http://${authority()}/echo/conflict HTTP/1.1\r\nHost: api.github.com\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    const echo = echoOf(response);
    expect(hostSeen(echo)).toBe(authority());
    expect(echo.headers.filter(([n]) => n.toLowerCase() === "host")).toHaveLength(1);
  });

  it("two Host headers are refused with 400", async () => {
    const response = await refusedBeforeUpstream(
      `GET /echo HTTP/1.1\r\nHost: ${authority()}\r\nHost: api.github.com\r\n\r\n`,
    );
    expect(response.status).toBe(400);
  });
});

describe("NUL bytes and invalid methods", () => {
  it.each([
    ["in the path", (a: string) => `GET http://${a}/echo\0x HTTP/1.1\r\nHost: ${a}\r\n\r\n`],
    ["in a header value", (a: string) => `GET http://${a}/echo HTTP/1.1\r\nHost: ${a}\r\nX-A: a\0b\r\n\r\n`],
    ["in a header name", (a: string) => `GET http://${a}/echo HTTP/1.1\r\nHost: ${a}\r\nX\0A: b\r\n\r\n`],
    ["in the Host header", (a: string) => `GET /echo HTTP/1.1\r\nHost: ${a}\0.evil\r\n\r\n`],
    ["in the method", (a: string) => `G\0T http://${a}/echo HTTP/1.1\r\nHost: ${a}\r\n\r\n`],
  ])("a NUL byte %s gets 400", async (_name, build) => {
    const response = await refusedBeforeUpstream(Buffer.from(build(authority()), "latin1"));
    expect(response.status).toBe(400);
  });

  it.each([
    "get",
    "G@T",
    "FOO BAR",
    "\x01GET",
    "GETGETGETGETGETGETGETGETGETGETGETGET",
    "-",
    "ÄGET",
  ])("the invalid method %j gets a 4xx/5xx status with a reason", async (method) => {
    const response = await refusedBeforeUpstream(
      Buffer.from(`${method} http://${authority()}/echo HTTP/1.1\r\nHost: ${authority()}\r\n\r\n`, "latin1"),
    );
    expect([400, 405, 501]).toContain(response.status);
    expect(response.body.length).toBeGreaterThan(0);
  });
});

describe("fuzzed request heads", () => {
  const tchar = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
  const anyByteString = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("latin1"));
  const method = fc.oneof(
    fc.constantFrom("GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT"),
    tchar,
    anyByteString,
  );
  const target = fc.oneof(
    fc.constant("/echo"),
    fc.constant("http://HOST/echo"),
    fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((s) => `http://HOST/${s}`),
    fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((s) => `http://${s}/echo`),
    anyByteString,
  );
  const headerLine = fc.oneof(
    fc.tuple(tchar, fc.stringMatching(/^[\x20-\x7e]{0,30}$/)).map(([n, v]) => `${n}: ${v}`),
    anyByteString,
    fc.constantFrom(
      "Transfer-Encoding: chunked",
      "Content-Length: 3",
      "Content-Length: -1",
      "Expect: 100-continue",
      "Host: [::1]",
    ),
  );

  it("any request head gets a status from the documented set, and no 500", async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        fc.array(headerLine, { maxLength: 6 }),
        fc.boolean(),
        async (m, t, lines, withHost) => {
          const a = authority();
          const head = [
            `${m} ${t.replace("HOST", a)} HTTP/1.1`,
            ...(withHost ? [`Host: ${a}`] : []),
            ...lines,
            "Connection: close",
          ].join("\r\n");
          // Frame the body the way the head says, so a well-framed message is complete and never left waiting.
          const body = lines.includes("Transfer-Encoding: chunked")
            ? "3\r\nabc\r\n0\r\n\r\n"
            : lines.includes("Content-Length: 3")
              ? "abc"
              : "";
          const response = await send(Buffer.from(`${head}\r\n\r\n${body}`, "latin1"));
          seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
          // 0 = the daemon closed without a word; only allowed for a message it cannot even frame as HTTP/1.1.
          expect([200, 400, 403, 404, 405, 407, 408, 413, 431, 501, 502, 504]).toContain(response.status);
        },
      ),
      { numRuns: SOAK ? 20_000 : 2000 },
    );
    recordSection("daemonInputStatuses", Object.fromEntries(seen));
  }, 180_000);
});

describe("afterwards", () => {
  it("the daemon is still up and signing", async () => {
    const response = await send(
      `GET http://${authority()}/echo/after HTTP/1.1\r\nHost: ${authority()}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(200);
    expect(setup.daemon.child.exitCode).toBeNull();
  });

  it("no canary value appears in the daemon's logs, error bodies or metrics", async () => {
    expect(await setup.leaks()).toEqual([]);
  });
});
