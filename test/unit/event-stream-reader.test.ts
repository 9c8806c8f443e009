/**
 * The daemon's reader of InvokeWithResponseStream bodies, fed with the framing the test Invoke endpoint writes
 * (which the selftest checks against the AWS SDK's own parser): bytes come out in order however the network
 * splits them, corruption and failures end the stream with an error, never with a short success.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { FunctionStreamError, payloadStream } from "../../proxy-daemon/invoke/lambda/event-stream-reader";
import { errorMessage, invokeComplete, payloadChunk } from "../support/lambda-event-stream";

async function read(wire: Buffer[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of payloadStream(
    Readable.from(wire, { objectMode: false }),
  ) as AsyncIterable<Buffer>) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const body = Buffer.from('{"statusCode":200}\0\0\0\0\0\0\0\0hello, streamed world');
const wire = Buffer.concat([
  payloadChunk(body.subarray(0, 10)),
  payloadChunk(body.subarray(10)),
  payloadChunk(Buffer.alloc(0)),
  invokeComplete(),
]);

describe("reading Lambda's event stream", () => {
  it("gives the function's bytes in order, the wire split at every offset", async () => {
    for (let at = 0; at <= wire.length; at++) {
      const out = await read([wire.subarray(0, at), wire.subarray(at)]);
      expect(out.equals(body), `split at ${at}`).toBe(true);
    }
  });

  it("gives the same bytes one wire byte at a time", async () => {
    expect((await read([...wire].map((b) => Buffer.from([b])))).equals(body)).toBe(true);
  });

  it("fails on a corrupted message (CRC mismatch)", async () => {
    const corrupt = Buffer.from(wire);
    corrupt[20] = (corrupt[20] ?? 0) ^ 0xff;
    await expect(read([corrupt])).rejects.toMatchObject({ code: "InvalidEventStream" });
  });

  it("fails with the function's error when InvokeComplete carries an ErrorCode", async () => {
    const failed = [
      payloadChunk(Buffer.from("partial")),
      invokeComplete({ code: "Sandbox.Timedout", details: "Task timed out after 3.00 seconds" }),
    ];
    const error = await read(failed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionStreamError);
    expect(error).toMatchObject({ code: "Sandbox.Timedout", details: "Task timed out after 3.00 seconds" });
  });

  it("fails on a service error event and on a stream that ends before InvokeComplete", async () => {
    await expect(
      read([payloadChunk(Buffer.from("x")), errorMessage("ServiceException", "boom")]),
    ).rejects.toMatchObject({ code: "ServiceException" });
    await expect(read([payloadChunk(Buffer.from("x"))])).rejects.toMatchObject({ code: "IncompleteStream" });
  });
});
