/**
 * The metadata prelude of a streamed answer (Lambda response streaming, `awslambda.HttpResponseStream.from`):
 * JSON written before the body, then 8 NUL bytes. Ours is `{ statusCode, headers, multiValueHeaders }`:
 * `headers` (repeated fields joined with ", ", Set-Cookie as `cookies`) is the form Lambda function URLs read;
 * `multiValueHeaders` keeps every field in order, and is what the daemon reads.
 */
import type { HeaderPairs } from "../core/proxy-request";
import { type CodecError, codecError, isCodecError } from "./codec-error";
import { decodeResult } from "./event-codec";

export const PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
export const PRELUDE_DELIMITER = Buffer.alloc(8);
/** A prelude is headers only; past this it is not one of ours. */
export const MAX_PRELUDE_BYTES = 256 * 1024;

export interface Prelude {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  cookies?: string[];
}

export function preludeOf(statusCode: number, pairs: HeaderPairs): Prelude {
  const multi: Record<string, string[]> = {};
  const single: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of pairs) {
    const values = multi[name];
    if (values) values.push(value);
    else multi[name] = [value];
    if (name.toLowerCase() === "set-cookie") cookies.push(value);
    else single[name] = single[name] === undefined ? value : `${single[name]}, ${value}`;
  }
  return cookies.length > 0
    ? { statusCode, headers: single, multiValueHeaders: multi, cookies }
    : { statusCode, headers: single, multiValueHeaders: multi };
}

/** Daemon side: the prelude's bytes (without the delimiter) into a status and header pairs. */
export function decodePrelude(bytes: Buffer): { statusCode: number; headers: HeaderPairs } | CodecError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    return codecError("the stream's metadata prelude is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || !("multiValueHeaders" in parsed)) {
    return codecError("the stream's metadata prelude has no multiValueHeaders");
  }
  // The same checks as a buffered result's status and headers; the body follows the prelude.
  const decoded = decodeResult({ ...(parsed as Record<string, unknown>), body: "", isBase64Encoded: false });
  if (isCodecError(decoded)) return decoded;
  return { statusCode: decoded.statusCode, headers: decoded.headers };
}
