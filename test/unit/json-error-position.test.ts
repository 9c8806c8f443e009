import { describe, expect, it } from "vitest";
import { jsonErrorOffset, jsonErrorPosition } from "../../proxy-daemon/invoke/local/json-error-position";
import { parseParameterFile } from "../../proxy-daemon/invoke/local/local-parameter-file";

describe("JSON error position", () => {
  it.each([
    ['{"a": "b"}', undefined],
    ["{}", undefined],
    ['[1, -0.5e+3, true, false, null, {"x": []}]', undefined],
    ['"\\u00e9\\n"', undefined],
  ])("finds no error in valid JSON %s", (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it.each([
    ['{\n  "/h/headers/X-Api-Key": SqWEerzkWr\n}', { line: 2, column: 27 }],
    ['{"a": "b",}', { line: 1, column: 11 }],
    ["[1,2", { line: 1, column: 5 }],
    ['{"a":"\\q"}', { line: 1, column: 7 }],
    ['{"a":"line\nbreak"}', { line: 1, column: 11 }],
    ["-01", { line: 1, column: 3 }],
    ["1 2", { line: 1, column: 3 }],
    ["", { line: 1, column: 1 }],
  ])("places the first error of %j", (text, position) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorPosition(text)).toEqual(position);
  });

  it("reports a broken parameter file by position only: never the text Node's message quotes", () => {
    const secret = "SqWEerzkWrTopSecretValue";
    const text = `{\n  "/api.example.com/headers/X-Api-Key": ${secret}\n}`;
    expect(() => JSON.parse(text)).toThrow(/SqWE/);
    const message = parseParameterFile(text);
    expect(message).toBe(
      "not valid JSON at line 2, column 41 (the file's text is not shown: it may hold secrets)",
    );
  });
});
