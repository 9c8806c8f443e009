/** Field syntax from RFC 9110 §5.1 (token) and §5.5 (field values): what may go on the wire at all. */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values may carry visible characters, SP and HTAB, and obs-text; never CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

export function isFieldValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const BEYOND_LATIN1 = /[^\x00-\xff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string is well-formed UTF-16 (no lone surrogate): only then does it have a UTF-8 form at all. */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Why a string cannot be a field value, in the words an operator can act on; undefined when it can. */
export function fieldValueProblem(value: string): string | undefined {
  if (CONTROL.test(value)) return "value contains control characters (CR, LF, NUL)";
  if (!isWellFormed(value)) return "value is not well-formed Unicode (a lone surrogate)";
  if (BEYOND_LATIN1.test(value))
    return "non-ASCII value: header values go on the wire as bytes; percent-encode or base64 it";
  return undefined;
}
