// The Invoke transport through the SDK's middleware stack, for clients the caller brought.
import { Readable } from "node:stream";
import { InvokeCommand, InvokeWithResponseStreamCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { FunctionStreamError } from "./event-stream-reader";
import type { InvokeTransport } from "./lambda-invoke-api";

/** The SDK path, for clients the caller brought. */
export function sdkTransport(client: LambdaClient): InvokeTransport {
  return {
    async send(functionName, payload, signal) {
      const out = await client.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(payload, "utf8") }),
        { abortSignal: signal },
      );
      const bytes = Buffer.from(out.Payload ?? new Uint8Array());
      return out.FunctionError ? { functionError: out.FunctionError, payload: bytes } : { payload: bytes };
    },
    async stream(functionName, payload, signal) {
      const out = await client.send(
        new InvokeWithResponseStreamCommand({
          FunctionName: functionName,
          Payload: Buffer.from(payload, "utf8"),
        }),
        { abortSignal: signal },
      );
      const events = out.EventStream;
      // Pulled one event at a time, so a slow reader holds the SDK's stream back too.
      async function* bytes(): AsyncGenerator<Buffer> {
        for await (const event of events ?? []) {
          if (event.PayloadChunk?.Payload) yield Buffer.from(event.PayloadChunk.Payload);
          const complete = event.InvokeComplete;
          if (complete?.ErrorCode)
            throw new FunctionStreamError(complete.ErrorCode, complete.ErrorDetails ?? "");
          if (complete) return;
        }
        throw new FunctionStreamError("IncompleteStream", "the stream ended before InvokeComplete");
      }
      return {
        contentType: out.ResponseStreamContentType ?? "",
        payload: Readable.from(bytes(), { objectMode: false }),
      };
    },
    close() {},
  };
}
