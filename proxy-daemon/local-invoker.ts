/**
 * Embedded mode: the function's own handler, in-process, over a parameter file. Events and results take the
 * same JSON round trip and the same 6 MB limit as through Lambda, so both modes answer alike.
 */
import type { AlbMultiValueEvent } from "../lambda/alb-event";
import { createHandler, type Handler } from "../lambda/handler";
import type { LogSink } from "../lambda/request-log";
import type { InvokeOutcome, Invoker } from "./invoker";
import type { LocalParameterFile } from "./local-parameter-file";

/** Lambda's synchronous response payload limit. */
const RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

export interface LocalInvokerOptions {
  file: LocalParameterFile;
  prefix?: string;
  timeoutSeconds: number;
  /** Where the handler's own log lines go (its per-request audit line and warnings). */
  log: LogSink;
}

export class LocalInvoker implements Invoker {
  private readonly handler: Handler;

  constructor(private readonly options: LocalInvokerOptions) {
    this.handler = createHandler({
      source: options.file,
      prefix: options.prefix ?? "",
      // The file is already in memory and re-checked on each lookup: edits must show up on the next request.
      cacheTtlSeconds: 0,
      negativeCacheTtlSeconds: 0,
      timeoutSeconds: options.timeoutSeconds,
      log: options.log,
    });
  }

  async invoke(event: AlbMultiValueEvent, signal: AbortSignal): Promise<InvokeOutcome> {
    const deadline = Date.now() + this.options.timeoutSeconds * 1000;
    const context = {
      awsRequestId: `local-${process.pid}-${Date.now()}`,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    const aborted = new Promise<InvokeOutcome>((resolve) => {
      const onAbort = () =>
        resolve({
          kind: "timeout",
          message: `no answer from the local signer within ${this.options.timeoutSeconds} s`,
        });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    const run = async (): Promise<InvokeOutcome> => {
      try {
        const result = await this.handler(JSON.parse(JSON.stringify(event)), context);
        const payload = JSON.stringify(result);
        if (Buffer.byteLength(payload) > RESPONSE_LIMIT_BYTES) {
          return {
            kind: "response-too-large",
            message: `the signer's answer is over Lambda's ${RESPONSE_LIMIT_BYTES}-byte limit`,
          };
        }
        return { kind: "result", result: JSON.parse(payload) };
      } catch (err) {
        // What the Lambda runtime reports for an uncaught exception.
        const error = err instanceof Error ? err : new Error(String(err));
        return { kind: "function-error", errorType: error.name, errorMessage: error.message };
      }
    };
    return Promise.race([run(), aborted]);
  }

  async close(): Promise<void> {
    this.options.file.close();
  }
}
