/**
 * Embedded mode: the function's signing core, in-process, over a parameter file. No event, no base64, no JSON:
 * the request goes to the core as it is. Answers stream as through Lambda's InvokeWithResponseStream, with the
 * same 200 MB limit and the same scrubbing, so both modes answer alike; own answers come back whole.
 */
import { INVOKE_PAYLOAD_BYTES, STREAM_MAX_BODY } from "../../../lambda/core/limits";
import type { ProxyResponse, SignRequest } from "../../../lambda/core/proxy-request";
import { isStreamedResponse } from "../../../lambda/core/streamed-response";
import { createSigningCore, type SigningCore } from "../../../lambda/handler/core";
import { upstreamTimeoutMs } from "../../../lambda/handler/handler";
import type { LogSink } from "../../../lambda/handler/request-log";
import { mustBase64 } from "../../../lambda/wire/event-codec";
import type { InvokeOutcome, Invoker } from "../invoker";
import type { LocalParameterFile } from "./local-parameter-file";
import { prefixHint } from "./prefix-hint";
import { sendUpstreamUndici } from "./undici-upstream";
import { openUpstreamUndici } from "./undici-upstream-stream";

export interface LocalInvokerOptions {
  file: LocalParameterFile;
  prefix?: string;
  timeoutSeconds: number;
  /** Where the core's own log lines go (its per-request audit line and warnings). */
  log: LogSink;
  /** Replace injected values in answers (--no-scrub turns it off). @default true */
  scrub?: boolean;
}

let sequence = 0;

export class LocalInvoker implements Invoker {
  private readonly core: SigningCore;

  constructor(private readonly options: LocalInvokerOptions) {
    this.core = createSigningCore({
      source: options.file,
      prefix: options.prefix ?? "",
      // The file is already in memory and re-checked on each lookup: edits must show up on the next request.
      cacheTtlSeconds: 0,
      negativeCacheTtlSeconds: 0,
      log: options.log,
      scrub: options.scrub !== false,
      noParametersHint: (hostKey) =>
        prefixHint(options.file.names(), options.prefix ?? "", hostKey, options.file.path),
      send: sendUpstreamUndici,
      // Streamed answers too stop their upstream fetch when the client hangs up (the signal below).
      open: openUpstreamUndici,
    });
  }

  async sign(request: SignRequest, signal: AbortSignal): Promise<InvokeOutcome> {
    const { timeoutSeconds } = this.options;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<InvokeOutcome>((resolve) => {
      onAbort = () =>
        resolve({ kind: "timeout", message: `no answer from the local signer within ${timeoutSeconds} s` });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    let settled = false;
    const run = async (): Promise<InvokeOutcome> => {
      try {
        const response = await this.core(request, {
          // What the function computes from an invocation with `timeoutSeconds` left.
          timeoutMs: upstreamTimeoutMs(timeoutSeconds, {
            getRemainingTimeInMillis: () => timeoutSeconds * 1000,
          }),
          maxResponseBytes: STREAM_MAX_BODY,
          requestId: `local-${process.pid}-${++sequence}`,
          // The client went away (or the daemon's timer fired): the core stops its upstream fetch at once.
          signal,
          stream: true,
        });
        if (isStreamedResponse(response)) {
          // Too late (the caller gave up): nobody will read this body, so stop the upstream now.
          if (settled) response.stream.destroy();
          return { kind: "stream", response };
        }
        if (resultBytes(response) > INVOKE_PAYLOAD_BYTES) {
          return {
            kind: "response-too-large",
            message: `the signer's answer is over Lambda's ${INVOKE_PAYLOAD_BYTES}-byte limit`,
          };
        }
        return { kind: "response", response };
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
 * The size Lambda would see for this answer as a JSON result, without building it: a base64 body needs no
 * escaping, so only a text body that could need escapes (up to 6 bytes per byte) near the limit is measured.
 */
function resultBytes(response: ProxyResponse): number {
  let estimate = 256;
  for (const [name, value] of response.headers) estimate += name.length + value.length + 8;
  if (mustBase64(response)) return estimate + Math.ceil(response.body.length / 3) * 4;
  const worstCase = estimate + response.body.length * 6;
  if (worstCase <= INVOKE_PAYLOAD_BYTES) return estimate + response.body.length;
  return estimate + Buffer.byteLength(JSON.stringify(response.body.toString("utf8")));
}
