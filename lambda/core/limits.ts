/**
 * The size limits of the transports the proxy rides on, in one place: the function, the daemon's options and its
 * embedded mode all derive their limits from these, so the two modes refuse at the same size.
 */

/** Lambda's synchronous Invoke payload limit, request and response alike (6 MB). */
export const INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** What an ALB accepts from a Lambda target: 1 MB of result, JSON included. */
export const ALB_RESULT_BYTES = 1024 * 1024;

/** Room left in an Invoke payload for everything but the body (method, path, headers, JSON punctuation). */
export const INVOKE_ENVELOPE_BYTES = 64 * 1024;

/** Room left in an ALB result for the status and headers. */
export const ALB_ENVELOPE_BYTES = 16 * 1024;

/** The largest body that still fits `limit` after base64 (4/3) and `envelope` bytes of the rest. */
export function bodyFitting(limit: number, envelope: number): number {
  return Math.floor(((limit - envelope) * 3) / 4);
}

/** The largest request or response body an Invoke can carry (about 4.45 MiB). */
export const INVOKE_MAX_BODY = bodyFitting(INVOKE_PAYLOAD_BYTES, INVOKE_ENVELOPE_BYTES);

/** The largest response body an ALB takes from the function (about 750 KiB). */
export const ALB_MAX_BODY = bodyFitting(ALB_RESULT_BYTES, ALB_ENVELOPE_BYTES);

/** Lambda's response streaming limit (InvokeWithResponseStream): 200 MiB. */
export const STREAM_PAYLOAD_BYTES = 200 * 1024 * 1024;

/** The largest body a streamed answer carries: the limit less room for the metadata prelude. */
export const STREAM_MAX_BODY = STREAM_PAYLOAD_BYTES - INVOKE_ENVELOPE_BYTES;

/** The daemon's request header limit (node:http's `maxHeaderSize`): refused with 431 above it. */
export const MAX_HEADER_BYTES = 16 * 1024;
