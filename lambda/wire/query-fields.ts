/**
 * The event's query fields <-> raw query pairs, by event source (see event-source.ts).
 *
 * - ALB and hand-written events: the grouped fields hold wire text and are used as is.
 * - Our daemon: `rawQueryString` holds the exact text (order, `flag` vs `e=`); the grouped field is kept for
 *   older functions, which ignore the raw one.
 * - The Go daemon: the grouped fields hold DECODED text (Go's `url.Values`), so every key and value is
 *   encoded again (RFC 3986 unreserved characters kept, everything else %XX of its UTF-8), and `&`, `=`, `+`,
 *   space or non-ASCII inside a value stay inside it. Pairs come in the event's key order (Go sorts them;
 *   JSON.parse puts integer-like keys such as `1` first: order between names carries no meaning anyway).
 *
 * Neither an ALB nor the Go daemon says whether a key had `=`: an empty value is written `e=` (what the
 * original function's `url.Values.Encode` sent too).
 */
import type { QueryPairs } from "../core/proxy-request";
import { encodeQueryComponent, formatQuery, splitQuery } from "../core/query-syntax";
import { type CodecError, codecError } from "./codec-error";
import type { EventSource } from "./event-source";
import { isRecord, readMultiValue, readSingleValue } from "./fields";

// What Node's HTTP client would refuse on a request line (and `#`, which would end it): the text is sent as is.
const NOT_RAW_QUERY = /[^\x21-\xff]|#/;

function readGrouped(
  event: Record<string, unknown>,
  multiValue: boolean,
): Array<[string, string]> | CodecError {
  return multiValue
    ? readMultiValue("multiValueQueryStringParameters", event.multiValueQueryStringParameters)
    : readSingleValue("queryStringParameters", event.queryStringParameters);
}

function readGoQuery(event: Record<string, unknown>): QueryPairs | CodecError {
  // The Go daemon sends both forms; the multi-value one has every value (the single one only the last).
  const decoded = isRecord(event.multiValueQueryStringParameters)
    ? readMultiValue("multiValueQueryStringParameters", event.multiValueQueryStringParameters)
    : readSingleValue("queryStringParameters", event.queryStringParameters);
  if (!Array.isArray(decoded)) return decoded;
  return decoded.map(([key, value]): [string, string] => [
    encodeQueryComponent(key),
    encodeQueryComponent(value),
  ]);
}

/** The request's raw query pairs from an event whose headers came in the multi-value form or not. */
export function readQuery(
  event: Record<string, unknown>,
  source: EventSource,
  multiValue: boolean,
): QueryPairs | CodecError {
  if (source === "go-daemon") return readGoQuery(event);
  if (source !== "alb" && event.rawQueryString !== undefined && event.rawQueryString !== null) {
    const raw = event.rawQueryString;
    if (typeof raw !== "string") return codecError("rawQueryString must be a string");
    if (NOT_RAW_QUERY.test(raw))
      return codecError("rawQueryString contains characters that must be percent-encoded");
    return splitQuery(raw);
  }
  return readGrouped(event, multiValue);
}

/** Whether `formatQuery` of these pairs splits back into the very same pairs. */
function splitsBack(query: QueryPairs): boolean {
  for (const [key, value] of query) {
    if (key.includes("=") || key.includes("&") || (value === null ? key === "" : value.includes("&")))
      return false;
  }
  return true;
}

/** Daemon side: the query fields of the event (grouped for older functions, raw for exactness). */
export function encodeQuery(query: QueryPairs): {
  multiValueQueryStringParameters: Record<string, string[]>;
  rawQueryString?: string;
} {
  const grouped: Record<string, string[]> = Object.create(null);
  for (const [key, value] of query) {
    const v = value ?? "";
    const existing = grouped[key];
    if (existing) existing.push(v);
    else grouped[key] = [v];
  }
  const fields: { multiValueQueryStringParameters: Record<string, string[]>; rawQueryString?: string } = {
    multiValueQueryStringParameters: { ...grouped },
  };
  if (query.length > 0) {
    const raw = formatQuery(query);
    // Only text the function will accept and split back into these very pairs (a key holding `=` or `&`, or a
    // character no request line can carry, would not): otherwise the grouped field alone says what it can.
    if (splitsBack(query) && !NOT_RAW_QUERY.test(raw)) fields.rawQueryString = raw;
  }
  return fields;
}
