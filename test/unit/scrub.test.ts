import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createStreamScrubber,
  DEFAULT_PLACEHOLDER,
  scrubBuffer,
  scrubText,
  secretForms,
} from "../../lambda/scrub/index";

const SECRET = "s3cr et/Key+value";

describe("secret forms", () => {
  it("lists each value raw, percent-encoded, form-encoded, double-encoded and lowercase-hex, longest first", () => {
    const forms = secretForms([SECRET]);
    expect(forms).toEqual(
      expect.arrayContaining([
        SECRET,
        "s3cr%20et%2FKey%2Bvalue",
        "s3cr+et%2FKey%2Bvalue",
        "s3cr%2520et%252FKey%252Bvalue",
        "s3cr%20et%2fKey%2bvalue",
      ]),
    );
    const lengths = forms.map((form) => form.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
  });

  it("adds the base64 of a Basic user:password and skips values shorter than 8 characters", () => {
    expect(secretForms(["alice:wonderland"])).toContain(Buffer.from("alice:wonderland").toString("base64"));
    expect(secretForms(["short", "1234567"])).toEqual([]);
    expect(secretForms(["12345678"])).toEqual(["12345678"]);
  });

  it("does not throw on a value with a lone surrogate: only its raw form is listed", () => {
    expect(secretForms(["abc\ud800defghij"])).toEqual(["abc\ud800defghij"]);
  });
});

describe("scrubText", () => {
  it("replaces every form in a redirect target and counts the replacements", () => {
    const forms = secretForms([SECRET]);
    const location = `/login?next=${encodeURIComponent(`/v1/x?api_key=${encodeURIComponent(SECRET)}`)}&k=${SECRET}`;
    const result = scrubText(location, forms);
    expect(result.count).toBe(2);
    expect(result.text).toBe(
      `/login?next=%2Fv1%2Fx%3Fapi_key%3D${DEFAULT_PLACEHOLDER}&k=${DEFAULT_PLACEHOLDER}`,
    );
  });

  it("uses the longest form that matches at a position, and a custom placeholder", () => {
    expect(scrubText("xxabcdefghijklyy", ["abcdefghijkl", "abcdefgh"], "#")).toEqual({
      text: "xx#yy",
      count: 1,
    });
    expect(scrubText("nothing here", ["abcdefgh"])).toEqual({ text: "nothing here", count: 0 });
  });
});

/** Splits `input` at the given offsets and pushes the pieces through a fresh stream scrubber. */
function streamed(input: Buffer, cuts: number[], forms: string[]): { body: Buffer; count: number } {
  const scrubber = createStreamScrubber(forms, "<R>");
  const parts: Buffer[] = [];
  let position = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parts.push(scrubber.push(input.subarray(position, cut)));
    position = cut;
  }
  parts.push(scrubber.push(input.subarray(position)), scrubber.end());
  return { body: Buffer.concat(parts), count: scrubber.count };
}

describe("stream scrubber", () => {
  it("finds a form split across two chunks", () => {
    const scrubber = createStreamScrubber(["abcdefgh"]);
    const out = Buffer.concat([
      scrubber.push(Buffer.from("head abcd")),
      scrubber.push(Buffer.from("efgh tail")),
      scrubber.end(),
    ]);
    expect(out.toString()).toBe(`head ${DEFAULT_PLACEHOLDER} tail`);
    expect(scrubber.count).toBe(1);
  });

  it("holds back at most (longest form - 1) bytes, and only a tail that could still begin a form", () => {
    const scrubber = createStreamScrubber(["abcdefgh", "0123456789"]);
    // Nothing in "x…x" can begin a form: nothing is held back.
    expect(scrubber.push(Buffer.from("x".repeat(20))).length).toBe(20);
    // A tail that begins the longest form is held, never more than longest form - 1 bytes of it.
    const out = scrubber.push(Buffer.from(`${"x".repeat(20)}012345678`));
    expect(out.length).toBeGreaterThanOrEqual(20);
    expect(29 - out.length).toBeLessThanOrEqual("0123456789".length - 1);
    expect(scrubber.end().toString()).toBe("012345678");
  });

  it("passes chunks through untouched when there is nothing to scrub", () => {
    const scrubber = createStreamScrubber([]);
    const chunk = Buffer.from("anything");
    expect(scrubber.push(chunk)).toBe(chunk);
    expect(scrubber.end().length).toBe(0);
  });

  it("gives the same output as whole-buffer scrubbing when the input is split at every offset", () => {
    // Small alphabet so that forms overlap, repeat and share prefixes.
    const alphabet = fc.constantFrom("a", "b", "c", "%", "2");
    const form = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(
        fc.array(form, { minLength: 1, maxLength: 4 }),
        fc.array(alphabet, { maxLength: 40 }).map((chars) => chars.join("")),
        (forms, text) => {
          const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
          const input = Buffer.from(text);
          const whole = scrubBuffer(input, sorted, "<R>");
          expect(scrubText(text, sorted, "<R>").text).toBe(whole.body.toString());
          for (let offset = 0; offset <= input.length; offset += 1) {
            const split = streamed(input, [offset], sorted);
            expect(split.body.toString()).toBe(whole.body.toString());
            expect(split.count).toBe(whole.count);
          }
          // And one chunk per byte.
          const bytewise = streamed(input, [...input.keys()], sorted);
          expect(bytewise.body.equals(whole.body)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("scrubs multibyte UTF-8 forms across chunk boundaries", () => {
    const forms = secretForms(["pässwörd-€uro"]);
    const input = Buffer.from(`{"error":"bad key pässwörd-€uro"}`);
    const whole = scrubBuffer(input, forms);
    expect(whole.count).toBe(1);
    for (let offset = 0; offset <= input.length; offset += 1) {
      expect(streamed(input, [offset], forms).body.toString()).toBe(
        whole.body.toString().replace(DEFAULT_PLACEHOLDER, "<R>"),
      );
    }
  });
});
