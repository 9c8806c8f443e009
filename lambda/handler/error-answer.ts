/**
 * A streamed error page is read whole before it is scrubbed. An error answer of a text type (Express's
 * `Cannot GET <path>`, nginx's pages) is where a rewritten path or a query value comes back quoted; read whole,
 * it is scrubbed like a buffered answer (answer-scrub.ts `scrubWhole`) and keeps a Content-Length that matches
 * its scrubbed body, instead of going out chunked. Only answers that declare a small Content-Length are read
 * whole: anything else (chunked, large, binary, compressed, 2xx/3xx) stays streamed and is scrubbed chunk by chunk.
 */
import type { ProxyResponse } from "../core/proxy-request";
import type { StreamedResponse } from "../core/streamed-response";
import { isTextErrorAnswer } from "../scrub";
import type { UpstreamFailure } from "../upstream/upstream-failure";
import { UpstreamStreamError } from "../upstream/upstream-stream";

/** Error pages are a few KiB; a larger "error" answer is an API's payload and stays streamed. */
export const WHOLE_ERROR_MAX_BYTES = 1024 * 1024;

function declaredLength(response: StreamedResponse): number | undefined {
  const value = response.headers.find(([name]) => name.toLowerCase() === "content-length")?.[1];
  const length = value === undefined ? Number.NaN : Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * The answer, with a small text error body read whole when `scrubbing` (some value was injected). A failure
 * while reading (reset, timeout) comes back as the upstream failure, answered like one before the headers.
 */
export async function wholeIfTextError(
  response: StreamedResponse | UpstreamFailure,
  scrubbing: boolean,
): Promise<StreamedResponse | ProxyResponse | UpstreamFailure> {
  if (!scrubbing || !("stream" in response)) return response;
  const length = declaredLength(response);
  if (length === undefined || length > WHOLE_ERROR_MAX_BYTES) return response;
  if (!isTextErrorAnswer(response.statusCode, response.headers)) return response;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response.stream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    if (error instanceof UpstreamStreamError) return error.failure;
    throw error;
  }
  return { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
}
