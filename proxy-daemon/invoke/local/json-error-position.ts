/**
 * Where a JSON text first goes wrong, as line and column, and nothing else. Node's own `JSON.parse` message
 * quotes the text around the error (`Unexpected token 'S', ..."Api-Key": SqWEerzkWr"...`): for a parameter
 * file that is part of a secret, and for a small file the whole file. So the error is located by this scanner
 * instead (RFC 8259 grammar), and only the position is ever reported.
 */

export interface TextPosition {
  line: number;
  column: number;
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Stop {
  constructor(readonly offset: number) {}
}

/** The offset of the first error, or undefined when `text` is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (at = i): never => {
    throw new Stop(at);
  };
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i += 1;
  };
  const literal = (word: string) => {
    for (const ch of word) if (text[i++] !== ch) fail(i - 1);
  };
  const string = () => {
    i += 1; // the opening quote
    STRING_BODY.lastIndex = i;
    if (!STRING_BODY.test(text)) {
      // Walk to the offending character: the first control character, bad escape or the end.
      while (i < text.length && text[i] !== '"') {
        const code = text.charCodeAt(i);
        if (code < 0x20) fail();
        if (text[i] === "\\") {
          if (!/^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1, i + 6))) fail();
          i += text[i + 1] === "u" ? 6 : 2;
        } else i += 1;
      }
      fail();
    }
    i = STRING_BODY.lastIndex;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail();
    skip();
    const ch = text[i];
    if (ch === "{") {
      i += 1;
      skip();
      if (text[i] === "}") {
        i += 1;
        return;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail();
        string();
        skip();
        if (text[i] !== ":") fail();
        i += 1;
        value(depth + 1);
        skip();
        if (text[i] === ",") i += 1;
        else if (text[i] === "}") {
          i += 1;
          return;
        } else fail();
      }
    }
    if (ch === "[") {
      i += 1;
      skip();
      if (text[i] === "]") {
        i += 1;
        return;
      }
      for (;;) {
        value(depth + 1);
        skip();
        if (text[i] === ",") i += 1;
        else if (text[i] === "]") {
          i += 1;
          return;
        } else fail();
      }
    }
    if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else number();
  };
  const number = () => {
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) fail();
    i = NUMBER.lastIndex;
  };
  try {
    value(0);
    skip();
    if (i < text.length) fail();
    return undefined;
  } catch (stop) {
    if (stop instanceof Stop) return Math.min(stop.offset, text.length);
    throw stop;
  }
}

/** 1-based line and column (in UTF-16 code units) of an offset. */
export function positionOf(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** "line L, column C" of the first error, or of the end of the text should the scanner find none. */
export function jsonErrorPosition(text: string): TextPosition {
  return positionOf(text, jsonErrorOffset(text) ?? text.length);
}
