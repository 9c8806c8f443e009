/**
 * Scrubbing answers of the values the function injected: headers and bodies, whole or streamed in any chunking,
 * never content-coded bodies, never values under 8 characters.
 */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { HeaderPairs, ProxyResponse } from "../../lambda/core/proxy-request";
import { type ScrubTally, scrubStreamed, scrubWhole } from "../../lambda/handler/answer-scrub";
import { createStreamScrubber, DEFAULT_PLACEHOLDER, secretForms } from "../../lambda/scrub";
import { injectedValues } from "../../lambda/signing/injected-values";
import { encodeQueryComponent } from "../../lambda/signing/signer";
import type { SigningRules } from "../../lambda/signing/signing-rules";

const TOKEN = "tok_9f2e81c4d7a6b3";
const QUERY = "q secret/&value!";
const PASSWORD = "s3cret-passw0rd";
const rules: SigningRules = {
  headers: [["Authorization", `Bearer ${TOKEN}`]],
  basic: { username: "robot", password: PASSWORD },
  queries: [["api_key", QUERY]],
  kinds: ["headers", "basic", "queries"],
};
const forms = secretForms(injectedValues(rules));
const basic = Buffer.from(`robot:${PASSWORD}`).toString("base64");

/** What an echo endpoint sends back: the request it received, every injected value in its wire form. */
const echo = Buffer.from(
  JSON.stringify({
    path: `/echo?api_key=${encodeQueryComponent(QUERY)}&page=2`,
    headers: [
      ["Authorization", `Bearer ${TOKEN}`],
      ["X-Basic", `Basic ${basic}`],
      ["Accept", "*/*"],
    ],
  }),
);
const canaries = [TOKEN, encodeQueryComponent(QUERY), basic, PASSWORD];

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const streamed = (parts: Buffer[], headers: HeaderPairs = []) => ({
  statusCode: 200,
  headers,
  stream: Readable.from(parts, { objectMode: false }),
});

describe("scrubbing an echoed answer", () => {
  it("replaces every injected value in headers and body with the placeholder, counting each", () => {
    const tally: ScrubTally = { count: 0 };
    const response: ProxyResponse = {
      statusCode: 200,
      headers: [
        ["X-Echo-Authorization", `Bearer ${TOKEN}`],
        ["Content-Length", String(echo.length)],
      ],
      body: echo,
    };
    const out = scrubWhole(response, forms, tally);
    const text = `${JSON.stringify(out.headers)}${out.body.toString()}`;
    for (const canary of canaries) expect(text).not.toContain(canary);
    expect(out.headers[0]).toEqual(["X-Echo-Authorization", DEFAULT_PLACEHOLDER]);
    expect(out.body.toString()).toContain(`api_key=${DEFAULT_PLACEHOLDER}&page=2`);
    expect(tally.count).toBe(4);
    // The body changed length: its Content-Length says the new one.
    expect(out.headers).toContainEqual(["Content-Length", String(out.body.length)]);
  });

  it("gives the same bytes streamed as whole, split at every offset", async () => {
    const whole = scrubWhole({ statusCode: 200, headers: [], body: echo }, forms, { count: 0 }).body;
    for (let at = 0; at <= echo.length; at++) {
      const tally: ScrubTally = { count: 0 };
      const out = scrubStreamed(streamed([echo.subarray(0, at), echo.subarray(at)]), forms, tally);
      const bytes = await collect(out.stream);
      expect(bytes.equals(whole), `split at ${at}`).toBe(true);
      expect(tally.count, `split at ${at}`).toBe(3);
    }
  });

  it("gives the same bytes one byte per chunk", async () => {
    const whole = scrubWhole({ statusCode: 200, headers: [], body: echo }, forms, { count: 0 }).body;
    const bytes = [...echo].map((b) => Buffer.from([b]));
    expect((await collect(scrubStreamed(streamed(bytes), forms, { count: 0 }).stream)).equals(whole)).toBe(
      true,
    );
  });

  it("holds nothing back after a chunk that cannot begin a secret, so events are not delayed", () => {
    const scrubber = createStreamScrubber(forms);
    const event = Buffer.from('data: {"n":1}\n\n');
    expect(scrubber.push(event).equals(event)).toBe(true);
    // A chunk ending in the first bytes of a secret keeps exactly those until the next chunk decides.
    const split = Buffer.from(`data: ${TOKEN.slice(0, 5)}`);
    expect(scrubber.push(split).toString()).toBe("data: ");
    expect(scrubber.push(Buffer.from(`${TOKEN.slice(5)}\n\n`)).toString()).toBe(`${DEFAULT_PLACEHOLDER}\n\n`);
  });

  it("leaves a content-coded body byte for byte, noting its coding, and still scrubs the headers", async () => {
    const gz = gzipSync(echo);
    const tally: ScrubTally = { count: 0 };
    const headers: HeaderPairs = [
      ["Content-Encoding", "gzip"],
      ["X-Token", TOKEN],
    ];
    const out = scrubStreamed(streamed([gz.subarray(0, 10), gz.subarray(10)], headers), forms, tally);
    expect((await collect(out.stream)).equals(gz)).toBe(true);
    expect(tally).toEqual({ count: 1, encodedBody: "gzip" });
    expect(out.headers).toContainEqual(["X-Token", DEFAULT_PLACEHOLDER]);
    const whole = scrubWhole({ statusCode: 200, headers, body: gz }, forms, { count: 0 });
    expect(whole.body.equals(gz)).toBe(true);
  });

  it("does not scrub values shorter than 8 characters (they would match by chance)", () => {
    const short = secretForms(
      injectedValues({ headers: [["X-Pin", "1234567"]], queries: [], kinds: ["headers"] }),
    );
    expect(short).toEqual([]);
    const out = scrubWhole({ statusCode: 200, headers: [], body: Buffer.from("pin 1234567") }, short, {
      count: 0,
    });
    expect(out.body.toString()).toBe("pin 1234567");
  });

  it("ends the scrubbed stream with the source's error, so a failure is never a short success", async () => {
    const source = new Readable({ read() {} });
    const out = scrubStreamed({ statusCode: 200, headers: [], stream: source }, forms, { count: 0 });
    source.push(Buffer.from("partial"));
    setTimeout(() => source.destroy(new Error("upstream reset")), 10);
    await expect(collect(out.stream)).rejects.toThrow("upstream reset");
  });
});
