/**
 * ALB target event/result <-> ProxyRequest/ProxyResponse. Pure: no I/O.
 * The daemon encodes requests and decodes results with the same code the function uses the other way,
 * so the two sides cannot drift apart.
 */

import { isUtf8 } from "node:buffer";
import { STATUS_CODES } from "node:http";
import { isFieldValue, isToken } from "../core/http-syntax";
import type {
  AlbEvent,
  AlbMultiValueEvent,
  AlbResult,
  CallerContext,
  HeaderPairs,
  ProxyRequest,
  ProxyResponse,
} from "../core/proxy-request";
import { type CodecError, codecError } from "./codec-error";
import { type EventSource, eventSource, readCaller } from "./event-source";
import { isRecord, readMultiValue, readSingleValue } from "./fields";
import { encodeQuery, readQuery } from "./query-fields";

export type { CodecError } from "./codec-error";
export { isCodecError } from "./codec-error";

/** A decoded event: the request, the form to answer in, who built it, and the caller for the audit log. */
export interface DecodedEvent extends ProxyRequest {
  multiValue: boolean;
  source: EventSource;
  caller?: CallerContext;
}

// A search for one bad character plus checks on length and padding. The grouped form
// /^(?:[A-Za-z0-9+/]{4})*(?:…==|…=)?$/ accepts the same strings but cost 30-90 ms per MB of body, on both sides
// of every invocation (the daemon's proxy throughput was bound by it).
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || NOT_BASE64.test(text)) return false;
  const pad = text.indexOf("=");
  // Padding only at the end: "x===" is not valid, "xx==" and "xxx=" are.
  return pad === -1 || pad === text.length - 1 || (pad === text.length - 2 && text.endsWith("=="));
}

function groupPairs(pairs: Array<[string, string]>): Record<string, string[]> {
  const grouped: Record<string, string[]> = Object.create(null);
  for (const [name, value] of pairs) {
    const existing = grouped[name];
    if (existing) existing.push(value);
    else grouped[name] = [value];
  }
  // A null-prototype object serialises the same; a plain one keeps consumers that call hasOwnProperty happy.
  return { ...grouped };
}

/** Daemon side: a request as the multi-value ALB event the function receives. */
export function encodeEvent(req: ProxyRequest, caller?: CallerContext): AlbMultiValueEvent {
  const event: AlbMultiValueEvent = {
    httpMethod: req.method,
    path: req.path,
    ...encodeQuery(req.query),
    multiValueHeaders: groupPairs(req.headers),
    body: req.body.length > 0 ? req.body.toString("base64") : "",
    isBase64Encoded: req.body.length > 0,
  };
  if (caller) event.requestContext = { caller };
  return event;
}

function readHeaders(pairs: Array<[string, string]>): HeaderPairs | CodecError {
  for (const [name, value] of pairs) {
    if (!isToken(name))
      return codecError(`header name ${JSON.stringify(name.slice(0, 64))} is not a valid token`);
    if (!isFieldValue(value)) return codecError(`header ${name} has a value with control characters`);
  }
  return pairs;
}

/** Events and results carry headers in the same two forms: `multiValueHeaders` (arrays) or `headers`. */
function readHeaderField(record: Record<string, unknown>): HeaderPairs | CodecError {
  // The original Go function answers `"multiValueHeaders": null` next to its `headers` (its 407 does): a null
  // or absent multi-value field defers to the single-value one, so its Content-Type is not lost.
  const multi = record.multiValueHeaders;
  const raw =
    multi !== undefined && multi !== null
      ? readMultiValue("multiValueHeaders", multi)
      : readSingleValue("headers", record.headers);
  return Array.isArray(raw) ? readHeaders(raw) : raw;
}

function readBody(event: Record<string, unknown>): Buffer | CodecError {
  const { body, isBase64Encoded } = event;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== "string") return codecError("body must be a string");
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== "boolean") {
    return codecError("isBase64Encoded must be a boolean");
  }
  if (!isBase64Encoded) return Buffer.from(body, "utf8");
  if (!isBase64(body)) return codecError("body is marked isBase64Encoded but is not valid base64");
  return Buffer.from(body, "base64");
}

/** Function side: any JSON value in, a request or a CodecError out. Never throws. */
export function decodeEvent(event: unknown): DecodedEvent | CodecError {
  if (!isRecord(event)) return codecError("event must be a JSON object (an ALB target event)");
  const { httpMethod, path } = event;
  if (typeof httpMethod !== "string" || !isToken(httpMethod))
    return codecError("httpMethod must be an HTTP method");
  if (typeof path !== "string" || !path.startsWith("/"))
    return codecError("path must be a string starting with /");
  if (/[\x00-\x20\x7f-\xff#?]/.test(path))
    return codecError("path contains characters that must be percent-encoded");

  const multiValue = "multiValueHeaders" in event;
  const headers = readHeaderField(event);
  if (!Array.isArray(headers)) return headers;

  const source = eventSource(event);
  const query = readQuery(event, source, multiValue);
  if (!Array.isArray(query)) return query;

  const body = readBody(event);
  if (!Buffer.isBuffer(body)) return body;

  const decoded: DecodedEvent = {
    method: httpMethod,
    path,
    query,
    headers,
    body,
    multiValue,
    source,
  };
  const caller = readCaller(event, source);
  if (caller) decoded.caller = caller;
  return decoded;
}

/** Content-coded bodies must stay bytes: a text round trip would corrupt them. */
export function mustBase64(res: ProxyResponse): boolean {
  if (res.body.length === 0) return false;
  for (const [name, value] of res.headers) {
    if (name.toLowerCase() === "content-encoding" && value.trim().toLowerCase() !== "identity") return true;
  }
  return !isUtf8(res.body);
}

export function statusDescription(statusCode: number): string {
  return `${statusCode} ${STATUS_CODES[statusCode] ?? "Unknown"}`;
}

/**
 * Function side: a response as the ALB result, in the form the event came in (ALB answers 502 otherwise).
 * The single-value form cannot carry repeated fields: they are joined with ", " (RFC 9110 §5.3), except
 * Set-Cookie, which cannot be joined and keeps its last value, as ALB itself does.
 */
export function encodeResult(res: ProxyResponse, multiValue: boolean): AlbResult {
  const base64 = mustBase64(res);
  const body = base64 ? res.body.toString("base64") : res.body.toString("utf8");
  const common = {
    statusCode: res.statusCode,
    statusDescription: statusDescription(res.statusCode),
    body,
    isBase64Encoded: base64,
  };
  if (multiValue) return { ...common, multiValueHeaders: groupPairs(res.headers) };
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(groupPairs(res.headers))) {
    headers[name] =
      name.toLowerCase() === "set-cookie" ? (values[values.length - 1] ?? "") : values.join(", ");
  }
  return { ...common, headers };
}

/** Daemon side: a result from the function (or anything else) into a response, or a CodecError. */
export function decodeResult(result: unknown): ProxyResponse | CodecError {
  if (!isRecord(result)) return codecError("function result must be a JSON object (an ALB result)");
  const { statusCode } = result;
  if (
    typeof statusCode !== "number" ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return codecError("function result has no valid statusCode");
  }
  const headers = readHeaderField(result);
  if (!Array.isArray(headers)) return headers;
  const body = readBody(result);
  if (!Buffer.isBuffer(body)) return body;
  return { statusCode, headers, body };
}

export type { AlbEvent };
