import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { iamStringLike } from "./support/iam-string-like";

describe("iamStringLike (the IAM StringLike matcher the trust tests rely on)", () => {
  it.each([
    ["repo:o/r:ref:refs/heads/main", "repo:o/r:ref:refs/heads/main", true],
    ["repo:o/r:*", "repo:o/r:", true],
    ["repo:o/r:*", "repo:o/r:pull_request", true],
    ["repo:o/r:*", "repo:o/r2:pull_request", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a?c", "abbc", false],
    ["?", "é", true],
    ["Repo:O/R", "repo:o/r", false],
    ["*", "", true],
    ["", "", true],
    ["", "x", false],
    ["abc", "abcd", false],
    ["*d", "abcd", true],
    ["a.c", "abc", false],
    ["refs/tags/v*", "refs/tags/v1.2.3", true],
  ])("pattern %j against %j is %s", (pattern, value, expected) => {
    expect(iamStringLike(pattern, value)).toBe(expected);
  });

  it("treats a pattern without wildcards as exact equality", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (pattern, value) => {
          expect(iamStringLike(pattern, value)).toBe(pattern === value);
        },
      ),
    );
  });

  it("matches every value that starts and ends with the fixed parts around one star", () => {
    const literal = fc.string().filter((s) => !/[*?]/.test(s));
    fc.assert(
      fc.property(literal, literal, literal, (head, middle, tail) => {
        expect(iamStringLike(`${head}*${tail}`, `${head}${middle}${tail}`)).toBe(true);
      }),
    );
  });
});
