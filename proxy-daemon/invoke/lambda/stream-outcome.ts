/**
 * A started InvokeWithResponseStream -> what the daemon answers with. Everything up to the end of the metadata
 * prelude is "before the first byte": failures there keep today's statuses (function error 502, timeout 504, …).
 * After it, the body is relayed as it comes and a failure is an error on the body stream.
 * A function deployed before streaming (a plain handler) streams its JSON result without a prelude: that is
 * read whole, under the buffered limit, and decoded as before.
 */
import type { Readable } from "node:stream";
import { isCodecError } from "../../../lambda/wire/codec-error";
import { decodePrelude, MAX_PRELUDE_BYTES, PRELUDE_CONTENT_TYPE } from "../../../lambda/wire/stream-prelude";
import type { InvokeFailure } from "../invoker";
import { FunctionStreamError } from "./event-stream-reader";
import type { StreamApiResult } from "./lambda-invoke-api";
import type { RawOutcome } from "./lambda-invoker";

/** Lambda's synchronous response limit, which a buffered handler's streamed result is still held to. */
const BUFFERED_RESULT_LIMIT = 6291556;

type FunctionErrorMapper = (code: string, details: Buffer) => InvokeFailure;

/** Reads until the 8 NUL bytes; what follows them is put back for the body. */
function readPrelude(payload: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let seen: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      payload.off("readable", onReadable);
      payload.off("end", onEnd);
      payload.off("error", onError);
    };
    const onReadable = () => {
      for (
        let chunk = payload.read() as Buffer | null;
        chunk !== null;
        chunk = payload.read() as Buffer | null
      ) {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const at = seen.indexOf(DELIMITER);
        if (at >= 0) {
          cleanup();
          const rest = seen.subarray(at + DELIMITER.length);
          if (rest.length > 0) payload.unshift(rest);
          return resolve(seen.subarray(0, at));
        }
        if (seen.length > MAX_PRELUDE_BYTES) {
          cleanup();
          payload.destroy();
          return reject(
            new FunctionStreamError("InvalidResult", "the stream's metadata prelude is too long"),
          );
        }
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new FunctionStreamError("InvalidResult", "the stream ended before its metadata prelude"));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    payload.on("readable", onReadable);
    payload.once("end", onEnd);
    payload.once("error", onError);
  });
}
const DELIMITER = Buffer.alloc(8);

async function readWhole(payload: Readable): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BUFFERED_RESULT_LIMIT) {
      payload.destroy();
      return "too-large";
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

export async function outcomeFromStream(
  functionName: string,
  started: StreamApiResult,
  functionError: FunctionErrorMapper,
): Promise<RawOutcome> {
  const { payload } = started;
  try {
    if (!started.contentType.toLowerCase().startsWith(PRELUDE_CONTENT_TYPE)) {
      const whole = await readWhole(payload);
      if (whole === "too-large") {
        return {
          kind: "response-too-large",
          message: `${functionName}: Response payload size exceeded maximum allowed payload size (${BUFFERED_RESULT_LIMIT} bytes).`,
        };
      }
      try {
        return { kind: "result", result: JSON.parse(whole.toString("utf8")) };
      } catch {
        return {
          kind: "function-error",
          errorType: "InvalidResult",
          errorMessage: `function ${functionName} returned a payload that is not JSON`,
        };
      }
    }
    const prelude = decodePrelude(await readPrelude(payload));
    if (isCodecError(prelude)) {
      payload.destroy();
      return { kind: "function-error", errorType: "InvalidResult", errorMessage: prelude.message };
    }
    return { kind: "stream", response: { ...prelude, stream: payload } };
  } catch (error) {
    payload.destroy();
    if (error instanceof FunctionStreamError) {
      return functionError(error.code, Buffer.from(error.details, "utf8"));
    }
    throw error;
  }
}
