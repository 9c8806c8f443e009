/**
 * Lambda mode: one synchronous Invoke per request. Lambda's own signals become typed failures: the
 * `X-Amz-Function-Error` header (the function threw or timed out), and the service errors the SDK raises
 * after its retries (throttling, missing function, missing permission); invoke-failures.ts maps them.
 */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { responseHeadersForClient } from "../../../lambda/core/header-filter";
import type { SignRequest } from "../../../lambda/core/proxy-request";
import { decodeResult, isCodecError } from "../../../lambda/wire/event-codec";
import type { InvokeFailure, InvokeOutcome, Invoker, InvokeStream } from "../invoker";
import { eventPayload } from "./event-payload";
import { describeFunctionError, failureFromError, isExpiredCredentials } from "./invoke-failures";
import { DirectInvokeTransport, type InvokeTransport } from "./lambda-invoke-api";
import { sdkTransport } from "./sdk-transport";
import { outcomeFromStream } from "./stream-outcome";

export interface LambdaInvokerOptions {
  client: LambdaClient;
  functionName: string;
  timeoutSeconds: number;
  /** Whether close() destroys the client (not when the caller brought their own). @default true */
  ownsClient?: boolean;
  /**
   * Send the Invoke directly (lambda-invoke-api.ts) with the client's credentials, region and attempts, instead of
   * through the SDK's middleware stack. For clients the daemon builds itself; a caller's own client may carry
   * middleware of its own, so it goes through the SDK. @default false
   */
  direct?: boolean;
  /**
   * Builds a client with freshly resolved credentials. Called when Lambda rejects the current ones as expired
   * (a revoked session, a clock jump, a token file rotated early): the SDK neither retries that error nor
   * refreshes credentials it still believes valid, so without this the daemon would answer 503 until its
   * scheduled refresh, up to an hour later.
   */
  renewClient?: () => LambdaClient;
  /**
   * Call InvokeWithResponseStream, so answers stream (up to 200 MB) instead of being buffered (6 MB). A function
   * deployed before streaming answers it with its whole result, which is read as before. @default true
   */
  streaming?: boolean;
}

/** What came back from one Invoke: a result payload, not yet validated, a started stream, or a failure. */
export type RawOutcome = { kind: "result"; result: unknown } | InvokeStream | InvokeFailure;
type Attempt = RawOutcome | { kind: "expired-credentials"; error: unknown };

export class LambdaInvoker implements Invoker {
  #client: LambdaClient;
  #transport: InvokeTransport;

  constructor(private readonly options: LambdaInvokerOptions) {
    this.#client = options.client;
    this.#transport = this.#transportFor(options.client);
  }

  #transportFor(client: LambdaClient): InvokeTransport {
    return this.options.direct ? DirectInvokeTransport.fromClient(client) : sdkTransport(client);
  }

  async sign(request: SignRequest, signal: AbortSignal): Promise<InvokeOutcome> {
    const streaming = this.options.streaming !== false;
    const outcome = await this.invoke(eventPayload(request, streaming), signal, streaming);
    if (outcome.kind === "stream") {
      const { response } = outcome;
      return {
        kind: "stream",
        response: { ...response, headers: responseHeadersForClient(response.headers) },
      };
    }
    if (outcome.kind !== "result") return outcome;
    const decoded = decodeResult(outcome.result);
    if (isCodecError(decoded)) return { kind: "malformed-result", message: decoded.message };
    // What another process sent is filtered on arrival, like any answer relayed to the client.
    return {
      kind: "response",
      response: { ...decoded, headers: responseHeadersForClient(decoded.headers) },
    };
  }

  /** One Invoke of `payload` (an event as JSON), renewing expired credentials once. */
  async invoke(payload: string, signal: AbortSignal, streaming = false): Promise<RawOutcome> {
    let attempt = await this.#invokeOnce(payload, signal, streaming);
    if (attempt.kind === "expired-credentials" && this.options.renewClient && !signal.aborted) {
      // The old client is left to close its idle sockets; requests already in flight on it may finish.
      this.#client = this.options.renewClient();
      this.#transport = this.#transportFor(this.#client);
      attempt = await this.#invokeOnce(payload, signal, streaming);
    }
    if (attempt.kind === "expired-credentials") {
      const { functionName, timeoutSeconds } = this.options;
      return failureFromError(functionName, attempt.error, timeoutSeconds, signal.aborted);
    }
    return attempt;
  }

  async #invokeOnce(payload: string, signal: AbortSignal, streaming: boolean): Promise<Attempt> {
    const { functionName, timeoutSeconds } = this.options;
    try {
      if (streaming) {
        const started = await this.#transport.stream(functionName, payload, signal);
        return await outcomeFromStream(functionName, started, (code, details) =>
          describeFunctionError(functionName, details, code),
        );
      }
      const out = await this.#transport.send(functionName, payload, signal);
      if (out.functionError) return describeFunctionError(functionName, out.payload, out.functionError);
      try {
        return { kind: "result", result: JSON.parse(out.payload.toString("utf8")) };
      } catch {
        return {
          kind: "function-error",
          errorType: "InvalidResult",
          errorMessage: `function ${functionName} returned a payload that is not JSON`,
        };
      }
    } catch (err) {
      if (isExpiredCredentials(err) && !signal.aborted) return { kind: "expired-credentials", error: err };
      return failureFromError(functionName, err, timeoutSeconds, signal.aborted);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
    if (this.options.ownsClient !== false) this.#client.destroy();
  }
}
