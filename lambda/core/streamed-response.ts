/**
 * An answer whose body arrives over time: status and headers first, then bytes read from `stream` (with
 * back-pressure: nothing is read faster than the consumer takes it). The stream ends normally only when the
 * whole body arrived; any failure after the headers makes it emit an error, which the consumer must turn into
 * an abnormal end (reset / incomplete chunked body), never into a short success.
 */
import type { Readable } from "node:stream";
import type { HeaderPairs, ProxyResponse } from "./proxy-request";

export interface StreamedResponse {
  statusCode: number;
  headers: HeaderPairs;
  stream: Readable;
}

export function isStreamedResponse(value: ProxyResponse | StreamedResponse): value is StreamedResponse {
  return "stream" in value;
}
