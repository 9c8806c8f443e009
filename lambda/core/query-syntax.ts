/**
 * Query text <-> [key, value] pairs, without decoding: the API must receive what the client wrote.
 * A key written without `=` keeps a null value so that `flag` and `e=` both survive the round trip.
 */
import type { QueryPairs } from "./proxy-request";

/** `a=1&flag&e=` -> [["a","1"],["flag",null],["e",""]]; empty parts (`&&`) carry nothing and are dropped. */
export function splitQuery(raw: string): QueryPairs {
  const pairs: QueryPairs = [];
  if (raw === "") return pairs;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    pairs.push(eq === -1 ? [part, null] : [part.slice(0, eq), part.slice(eq + 1)]);
  }
  return pairs;
}

/** The inverse of splitQuery: `e=` stays `e=`, `flag` stays `flag`. */
export function formatQuery(pairs: QueryPairs): string {
  return pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&");
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Query encoding for decoded text (values we inject, the Go daemon's values): everything but unreserved
 * characters (RFC 3986 §2.3) is escaped as UTF-8, so the text decodes back to itself under both RFC 3986 and
 * form (`+` = space) decoding.
 */
export function encodeQueryComponent(value: string): string {
  // encodeURIComponent throws on a lone surrogate (a hand-made event can hold one): it becomes U+FFFD, as
  // Go's JSON would have made it.
  return encodeURIComponent(value.replace(LONE_SURROGATE, "\ufffd")).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Form decoding (`+` = space, then %XX), for comparing names; malformed escapes compare as written. */
export function decodeQueryComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}
