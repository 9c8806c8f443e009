/**
 * Embedded mode: the function's own core, in-process, over a parameter file. Answers stream as in Lambda mode
 * (up to the same 200 MB), scrubbed the same way; the function's own answers come back whole.
 */
import type { AlbMultiValueEvent, AlbResult } from "../../../lambda/core/proxy-request";
import { isStreamedResponse } from "../../../lambda/core/streamed-response";
import { type Core, createCore } from "../../../lambda/handler/handler-core";
import type { LogSink } from "../../../lambda/handler/request-log";
import { relayable } from "../../../lambda/handler/streamed-answer";
import { encodeResult } from "../../../lambda/wire/event-codec";
import type { InvokeOutcome, Invoker } from "../invoker";
import type { LocalParameterFile } from "./local-parameter-file";

/** Lambda's synchronous response payload limit. */
const RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

export interface LocalInvokerOptions {
  file: LocalParameterFile;
  prefix?: string;
  timeoutSeconds: number;
  /** Where the handler's own log lines go (its per-request audit line and warnings). */
  log: LogSink;
  /** Replace injected values in answers (--no-scrub turns it off). @default true */
  scrub?: boolean;
}

export class LocalInvoker implements Invoker {
  private readonly core: Core;

  constructor(private readonly options: LocalInvokerOptions) {
    this.core = createCore({
      source: options.file,
      prefix: options.prefix ?? "",
      // The file is already in memory and re-checked on each lookup: edits must show up on the next request.
      cacheTtlSeconds: 0,
      negativeCacheTtlSeconds: 0,
      timeoutSeconds: options.timeoutSeconds,
      log: options.log,
      scrub: options.scrub !== false,
    });
  }

  async invoke(event: AlbMultiValueEvent, signal: AbortSignal): Promise<InvokeOutcome> {
    const deadline = Date.now() + this.options.timeoutSeconds * 1000;
    const context = {
      awsRequestId: `local-${process.pid}-${Date.now()}`,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<InvokeOutcome>((resolve) => {
      onAbort = () =>
        resolve({
          kind: "timeout",
          message: `no answer from the local signer within ${this.options.timeoutSeconds} s`,
        });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    let settled = false;
    const run = async (): Promise<InvokeOutcome> => {
      try {
        // The core neither keeps nor mutates the event, so it gets the object itself: no JSON round trip.
        const answer = await this.core(event, context, true);
        const response = relayable(answer, this.options.log);
        if (isStreamedResponse(response)) {
          // Too late (the caller gave up): nobody will read this body, so stop the upstream now.
          if (settled) response.stream.destroy();
          return { kind: "stream", response };
        }
        const result = encodeResult(response, answer.multiValue);
        if (resultBytes(result) > RESPONSE_LIMIT_BYTES) {
          return {
            kind: "response-too-large",
            message: `the signer's answer is over Lambda's ${RESPONSE_LIMIT_BYTES}-byte limit`,
          };
        }
        return { kind: "result", result };
      } catch (err) {
        // What the Lambda runtime reports for an uncaught exception.
        const error = err instanceof Error ? err : new Error(String(err));
        return { kind: "function-error", errorType: error.name, errorMessage: error.message };
      }
    };
    try {
      return await Promise.race([run(), aborted]);
    } finally {
      settled = true;
      // A listener left on a long-lived signal would keep this invocation, result included, reachable.
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    this.options.file.close();
  }
}

/**
 * The size Lambda would see for this result as JSON. Serialising it only to measure it would copy every body
 * twice, so small results are estimated from their parts (a base64 body needs no escaping) and only results
 * near the limit are measured exactly.
 */
function resultBytes(result: AlbResult): number {
  let estimate = result.body.length + 256;
  const headers = "multiValueHeaders" in result ? result.multiValueHeaders : result.headers;
  for (const [name, value] of Object.entries(headers)) {
    estimate +=
      name.length + 8 + (Array.isArray(value) ? value.reduce((n, v) => n + v.length + 4, 0) : value.length);
  }
  // Text bodies may need escapes (up to 6 bytes per character): measure exactly when that could matter.
  const worstCase = result.isBase64Encoded ? estimate : estimate + result.body.length * 5;
  return worstCase <= RESPONSE_LIMIT_BYTES ? estimate : Buffer.byteLength(JSON.stringify(result));
}
