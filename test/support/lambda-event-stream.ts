/**
 * The `application/vnd.amazon.eventstream` framing the Lambda service uses for InvokeWithResponseStream, as the
 * fake service writes it. Each message: total length and headers length (u32 BE), a CRC32 of those 8 bytes,
 * the headers (name length u8, name, type 7 = string, value length u16 BE, value), the payload, and a CRC32 of
 * everything before it. The SDK's own parser reads these in lambda-invoke-streaming.test.ts, so the framing is
 * checked against AWS's code, not against ours.
 */
import { crc32 } from "node:zlib";

const STRING_TYPE = 7;

function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, "utf8");
    const valueBytes = Buffer.from(value, "utf8");
    const head = Buffer.alloc(1 + nameBytes.length + 1 + 2);
    head.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(head, 1);
    head.writeUInt8(STRING_TYPE, 1 + nameBytes.length);
    head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    parts.push(head, valueBytes);
  }
  return Buffer.concat(parts);
}

export function encodeMessage(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const headerBytes = encodeHeaders(headers);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  message.set(payload, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** One `PayloadChunk` event: the bytes the function wrote, as they were written. */
export function payloadChunk(bytes: Uint8Array): Buffer {
  return encodeMessage(
    { ":event-type": "PayloadChunk", ":content-type": "application/octet-stream", ":message-type": "event" },
    bytes,
  );
}

/** The last event of every stream: `ErrorCode`/`ErrorDetails` set when the function failed. */
export function invokeComplete(error?: { code: string; details: string }): Buffer {
  const body = error ? { ErrorCode: error.code, ErrorDetails: error.details } : {};
  return encodeMessage(
    { ":event-type": "InvokeComplete", ":content-type": "application/json", ":message-type": "event" },
    Buffer.from(JSON.stringify(body), "utf8"),
  );
}

/** A service error after the stream started (`:message-type: error`), which the SDK raises as an exception. */
export function errorMessage(code: string, message: string): Buffer {
  return encodeMessage(
    { ":message-type": "error", ":error-code": code, ":error-message": message },
    new Uint8Array(),
  );
}
