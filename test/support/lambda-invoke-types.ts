/** Types shared by the Lambda Invoke endpoint (test side) and its server process. */

/** Faults the fake Lambda service injects; `setFaults` replaces the whole set (`{}` clears them). */
export interface LambdaFaults {
  /** 429 TooManyRequestsException (Reason CallerRateLimitExceeded): `true` for every call, N for the next N. */
  throttle?: boolean | number;
  /** Stop listening: connections are refused (existing keep-alive sockets are destroyed) until cleared. */
  down?: boolean;
  /** Wait this long before running the handler (the wait counts as in flight for `maxConcurrency`). */
  delayMs?: number;
  /** Calls signed with these access key ids get 403 AccessDeniedException. */
  deniedAccessKeyIds?: string[];
  /** More in-flight invocations than this get 429 (ReservedFunctionConcurrentInvocationLimitExceeded). */
  maxConcurrency?: number;
  /** InvokeWithResponseStream: after the function's first chunk, a `:message-type: error` event ends the stream. */
  streamServiceError?: boolean;
}

/** One call to the Invoke API, recorded whatever its outcome. Payload contents are never recorded. */
export interface Invocation {
  /** The FunctionName path parameter as sent (decoded): a name, a partial ARN or a full ARN. */
  functionName: string;
  /** The qualifier from the name or the `Qualifier` query parameter, if any. */
  qualifier: string | null;
  /** From the SigV4 `Authorization` header (`Credential=AKID/...`); null when unsigned. */
  accessKeyId: string | null;
  /** `X-Amz-Invocation-Type`, defaulting to RequestResponse. */
  invocationType: string;
  /** Request payload size in bytes. */
  payloadSize: number;
  /** HTTP status the service answered. */
  status: number;
  /** `x-amzn-ErrorType` of a service error (e.g. TooManyRequestsException), else null. */
  errorType: string | null;
  /** `X-Amz-Function-Error` (`Unhandled`) when the function failed, else null. */
  functionError: string | null;
  /** Whether it came through InvokeWithResponseStream (its ErrorCode, if any, is in `functionError`). */
  streaming: boolean;
  /** Response payload size in bytes (0 for errors answered by the service). */
  responseSize: number;
  /** ISO time the call arrived. */
  receivedAt: string;
  durationMs: number;
}

/** Configuration handed to the server process (as JSON in argv[2]). */
export interface LambdaInvokeServerConfig {
  functionName: string;
  /** Absolute path of the ES module exporting `handler(event, context)`. */
  handlerModule: string;
  /** Qualifiers that exist besides `$LATEST` (aliases or version numbers). */
  aliases: string[];
  region: string;
  accountId: string;
  /** The function's timeout; past it the call ends with errorType Sandbox.Timedout. */
  timeoutMs: number;
}
