/**
 * Reads InvokeWithResponseStream's body (`application/vnd.amazon.eventstream`) into the bytes the function
 * streamed. Each message: total length, headers length, CRC32 of those 8 bytes, headers, payload, CRC32 of the
 * whole message (both CRCs are checked: a corrupted answer must not reach a client as a success).
 * - `PayloadChunk`: its payload is the next piece of the function's stream.
 * - `InvokeComplete`: the end; with an `ErrorCode` the function failed (threw, timed out, too large), which
 *   ends the stream with a {@link FunctionStreamError}.
 * - `:message-type` `error` / `exception`: a service error mid-stream, also an error.
 * Back-pressure: when the reader's consumer stops reading, the HTTP response is paused, so TCP stops Lambda.
 * https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html
 */
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";

/** The function (or the service) ended the stream with an error after it started. */
export class FunctionStreamError extends Error {
  override readonly name = "FunctionStreamError";
  constructor(
    /** InvokeComplete's ErrorCode (Sandbox.Timedout, Function.ResponseSizeTooLarge, the error's type, …). */
    readonly code: string,
    /** ErrorDetails: the runtime's `{errorType, errorMessage}` JSON, or the service's message. */
    readonly details: string,
  ) {
    super(`${code}: ${details.slice(0, 300)}`);
  }
}

/** A message over 16 MiB cannot be one of Lambda's (chunks are far smaller): treat it as corruption. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

interface Message {
  headers: Map<string, string>;
  payload: Buffer;
}

function readHeaders(bytes: Buffer): Map<string, string> | string {
  const headers = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.toString("utf8", at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = bytes.readUInt8(at);
    at += 1;
    // Only strings (7) carry what we read; the other types are skipped by their fixed or declared size.
    const fixed: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };
    if (type === 6 || type === 7) {
      const length = bytes.readUInt16BE(at);
      if (type === 7) headers.set(name, bytes.toString("utf8", at + 2, at + 2 + length));
      at += 2 + length;
    } else if (fixed[type] !== undefined) {
      at += fixed[type];
    } else {
      return `unknown event-stream header type ${type}`;
    }
  }
  return headers;
}

/** Splits complete messages off the front of `buffer`; returns them and what is left. */
function takeMessages(buffer: Buffer): { messages: Message[]; rest: Buffer } | string {
  const messages: Message[] = [];
  let at = 0;
  while (buffer.length - at >= 12) {
    const total = buffer.readUInt32BE(at);
    const headersLength = buffer.readUInt32BE(at + 4);
    if (buffer.readUInt32BE(at + 8) !== crc32(buffer.subarray(at, at + 8)))
      return "event-stream prelude CRC mismatch";
    if (total < 16 || total > MAX_MESSAGE_BYTES || headersLength > total - 16)
      return "event-stream message length is invalid";
    if (buffer.length - at < total) break;
    const message = buffer.subarray(at, at + total);
    if (message.readUInt32BE(total - 4) !== crc32(message.subarray(0, total - 4)))
      return "event-stream message CRC mismatch";
    const headers = readHeaders(message.subarray(12, 12 + headersLength));
    if (typeof headers === "string") return headers;
    messages.push({ headers, payload: message.subarray(12 + headersLength, total - 4) });
    at += total;
  }
  return { messages, rest: at === 0 ? buffer : buffer.subarray(at) };
}

/** What one message means for the payload stream: bytes, the end, or an error. */
function interpret(message: Message): Buffer | "end" | Error {
  const type = message.headers.get(":message-type");
  if (type === "error" || type === "exception") {
    const code =
      message.headers.get(":error-code") ?? message.headers.get(":exception-type") ?? "ServiceError";
    const text = message.headers.get(":error-message") ?? message.payload.toString("utf8");
    return new FunctionStreamError(code, text);
  }
  const event = message.headers.get(":event-type");
  if (event === "PayloadChunk") return message.payload;
  if (event === "InvokeComplete") {
    let parsed: { ErrorCode?: unknown; ErrorDetails?: unknown } = {};
    try {
      parsed = JSON.parse(message.payload.toString("utf8") || "{}") as typeof parsed;
    } catch {
      return new FunctionStreamError("InvalidInvokeComplete", "InvokeComplete is not JSON");
    }
    if (typeof parsed.ErrorCode === "string" && parsed.ErrorCode !== "") {
      return new FunctionStreamError(
        parsed.ErrorCode,
        typeof parsed.ErrorDetails === "string" ? parsed.ErrorDetails : "",
      );
    }
    return "end";
  }
  // Unknown events are ignored, as the SDK does, so a new event type cannot break old daemons.
  return Buffer.alloc(0);
}

/** The function's streamed bytes, from the raw HTTP response body of InvokeWithResponseStream. */
export function payloadStream(body: Readable): Readable {
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  const out = new Readable({
    read() {
      body.resume();
    },
    destroy(error, callback) {
      body.destroy();
      callback(error);
    },
  });
  const fail = (error: Error) => {
    ended = true;
    out.destroy(error);
  };
  body.on("data", (chunk: Buffer) => {
    if (ended) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const taken = takeMessages(pending);
    if (typeof taken === "string") return fail(new FunctionStreamError("InvalidEventStream", taken));
    pending = taken.rest;
    let more = true;
    for (const message of taken.messages) {
      const meaning = interpret(message);
      if (meaning instanceof Error) return fail(meaning);
      if (meaning === "end") {
        ended = true;
        out.push(null);
        return;
      }
      if (meaning.length > 0) more = out.push(meaning);
    }
    if (!more) body.pause();
  });
  body.on("end", () => {
    if (!ended) fail(new FunctionStreamError("IncompleteStream", "the stream ended before InvokeComplete"));
  });
  body.on("error", (error) => {
    if (!ended) fail(new FunctionStreamError("StreamReset", error.message));
  });
  body.on("close", () => {
    if (!ended && !body.readableEnded)
      fail(new FunctionStreamError("StreamReset", "the connection to Lambda closed mid-stream"));
  });
  return out;
}
