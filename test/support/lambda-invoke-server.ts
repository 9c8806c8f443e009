/**
 * A small implementation of the Lambda Invoke API that runs a handler module in this process, like a warm
 * Lambda sandbox. Started as a child process by `startLambdaInvokeEndpoint()` (lambda-invoke-endpoint.ts),
 * because the function's environment (NODE_EXTRA_CA_CERTS, AWS_ENDPOINT_URL_SSM, …) is read at process start.
 *
 * Usage: node --import tsx lambda-invoke-server.ts '<LambdaInvokeServerConfig as JSON>'
 * Prints `lambda-invoke-server ready invoke=PORT control=PORT` once both ports listen on 127.0.0.1.
 *
 * Control API (second port): GET /invocations, DELETE /invocations, GET /faults, PUT /faults (JSON body,
 * replaces every fault).
 *
 * Semantics of `POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=Q]`, as the real service:
 * - no Authorization header: 403 MissingAuthenticationTokenException; one that is not SigV4: 403
 *   IncompleteSignatureException; scoped to another service: 403 InvalidSignatureException. Signatures are
 *   parsed for the access key id but not verified (credentials may come from STS).
 * - payload over 6291456 bytes (256 KiB for Event): 413 RequestEntityTooLargeException.
 * - access key id listed in `deniedAccessKeyIds`: 403 AccessDeniedException.
 * - name, partial ARN, full ARN or qualifier (`$LATEST` or a configured alias) not matching: 404
 *   ResourceNotFoundException `{"Type":"User","message":"Function not found: ARN"}`.
 * - payload that is not JSON: 400 InvalidRequestContentException.
 * - `X-Amz-Invocation-Type: DryRun`: 204, handler not run; `Event`: 202, handler runs in the background.
 * - throttle / concurrency faults: 429 TooManyRequestsException with its `Reason`.
 * - handler throws (or its callback gets an error): 200, `X-Amz-Function-Error: Unhandled`,
 *   `{"errorType","errorMessage","trace"}`; import failure: errorType Runtime.ImportModuleError; past the
 *   timeout: Sandbox.Timedout; result over 6291556 bytes: Function.ResponseSizeTooLarge.
 * - otherwise 200 with the JSON of the handler's result (`null` for undefined), `X-Amz-Executed-Version`.
 * - a streamified handler (awslambda.streamifyResponse, lambda-runtime-standin.ts) called with plain Invoke: its
 *   streamed bytes, prelude included, as the payload, with the stream's content type.
 *
 * `POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations` (InvokeWithResponseStream) checks
 * the same way (no Event type), then streams: PayloadChunk events as the function writes, InvokeComplete last
 * (ErrorCode on failure or timeout), up to 200 MiB (lambda-streaming-invoke.ts).
 * Not implemented: `X-Amz-Log-Type: Tail`, client context, versions other than `$LATEST`.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { functionArn, parseFunctionName } from "./lambda-function-name";
import type { Invocation, LambdaFaults, LambdaInvokeServerConfig } from "./lambda-invoke-types";
import {
  highWaterMarkOf,
  installAwsLambdaGlobal,
  isStreamingHandler,
  ResponseStream,
  runStreamingHandler,
} from "./lambda-runtime-standin";
import { streamInvocation } from "./lambda-streaming-invoke";

/** Lambda's synchronous request payload quota. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024; // 6291456
/** Asynchronous (Event) payload quota. */
const MAX_EVENT_REQUEST_BYTES = 256 * 1024;
/** The response limit as the real service reports it (it is 100 bytes more than 6 MiB). */
const MAX_RESPONSE_BYTES = 6291556;
/** InvokeWithResponseStream's response limit (200 MiB). */
const MAX_STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024;

type Handler = (
  event: unknown,
  context: LambdaContext,
  callback?: (err: unknown, result?: unknown) => void,
) => unknown;

interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** What a call ends with: a service error or the function's result. */
interface Outcome {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  errorType: string | null;
  functionError: string | null;
  /** Set when the answer was already streamed to the connection (InvokeWithResponseStream). */
  streamed?: { responseSize: number; errorCode: string | null };
}

const config = JSON.parse(process.argv[2] ?? "{}") as LambdaInvokeServerConfig;
let faults: LambdaFaults = {};
let inFlight = 0;
const invocations: Invocation[] = [];
let handlerPromise: Promise<Handler> | undefined;

function serviceError(
  status: number,
  type: string,
  message: string,
  extra: Record<string, string> = {},
): Outcome {
  return {
    status,
    headers: { "x-amzn-ErrorType": type, "content-type": "application/json" },
    body: JSON.stringify({ Type: "User", message, ...extra }),
    errorType: type,
    functionError: null,
  };
}

function functionFailure(errorType: string, errorMessage: string, trace: string[] = []): Outcome {
  return {
    status: 200,
    headers: {
      "x-amz-function-error": "Unhandled",
      "content-type": "application/json",
      "x-amz-executed-version": "$LATEST",
    },
    body: JSON.stringify({ errorType, errorMessage, trace }),
    errorType: null,
    functionError: "Unhandled",
  };
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=…, Signature=…` */
function accessKeyIdOf(authorization: string | undefined): { akid: string | null; problem: Outcome | null } {
  if (!authorization) {
    return {
      akid: null,
      problem: {
        ...serviceError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        body: JSON.stringify({ message: "Missing Authentication Token" }),
      },
    };
  }
  const match = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,/.exec(
    authorization,
  );
  if (!match || !/SignedHeaders=/.test(authorization) || !/Signature=[0-9a-f]{64}/.test(authorization)) {
    return {
      akid: null,
      problem: serviceError(
        403,
        "IncompleteSignatureException",
        "Authorization header is not a complete SigV4 signature",
      ),
    };
  }
  if (match[4] !== "lambda") {
    return {
      akid: match[1] ?? null,
      problem: serviceError(
        403,
        "InvalidSignatureException",
        `Credential should be scoped to correct service: 'lambda'.`,
      ),
    };
  }
  return { akid: match[1] ?? null, problem: null };
}

function loadHandler(): Promise<Handler> {
  // As the Node.js runtime does before it imports the function: `awslambda.streamifyResponse` and friends.
  installAwsLambdaGlobal();
  handlerPromise ??= import(pathToFileURL(config.handlerModule).href).then((mod: Record<string, unknown>) => {
    const handler = mod.handler ?? (mod.default as Record<string, unknown> | undefined)?.handler;
    if (typeof handler !== "function")
      throw new Error(`${config.handlerModule} does not export a handler function`);
    return handler as Handler;
  });
  // A failed init is retried by the next call, as Lambda starts a fresh sandbox.
  handlerPromise.catch(() => {
    handlerPromise = undefined;
  });
  return handlerPromise;
}

function describeError(err: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (err instanceof Error) {
    return {
      errorType: err.name || "Error",
      errorMessage: err.message,
      trace: (err.stack ?? "").split("\n"),
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

function invocationContext(arn: string): { requestId: string; context: LambdaContext } {
  const requestId = randomUUID();
  const deadline = Date.now() + config.timeoutMs;
  const context: LambdaContext = {
    awsRequestId: requestId,
    functionName: config.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: arn,
    memoryLimitInMB: "128",
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll("-", "")}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  return { requestId, context };
}

async function runStreamed(payload: unknown, arn: string, res: ServerResponse): Promise<Outcome> {
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    const { errorMessage, trace } = describeError(err);
    handler = async () => {
      const error = new Error(errorMessage);
      error.name = "Runtime.ImportModuleError";
      error.stack = trace.join("\n");
      throw error;
    };
  }
  const { context } = invocationContext(arn);
  const streamed = await streamInvocation(res, handler as (...args: unknown[]) => unknown, payload, context, {
    timeoutMs: config.timeoutMs,
    maxBytes: MAX_STREAMED_RESPONSE_BYTES,
    headers: { "x-amz-executed-version": "$LATEST", "x-amzn-RequestId": randomUUID() },
    serviceErrorAfterFirstChunk: faults.streamServiceError === true,
    describeError,
    async runBuffered() {
      const outcome = await runHandler(payload, arn);
      if (!outcome.functionError) return { body: String(outcome.body) };
      return JSON.parse(String(outcome.body)) as { errorType: string; errorMessage: string; trace: string[] };
    },
  });
  return { status: 200, headers: {}, body: "", errorType: null, functionError: null, streamed };
}

async function runHandler(payload: unknown, arn: string): Promise<Outcome> {
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    const { errorMessage, trace } = describeError(err);
    return functionFailure("Runtime.ImportModuleError", errorMessage, trace);
  }
  const { requestId, context } = invocationContext(arn);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), config.timeoutMs);
  });
  if (isStreamingHandler(handler)) {
    // A streamified function called with plain Invoke: the service buffers what it streams (prelude included,
    // byte for byte) and answers with it as the payload, under the synchronous 6 MB limit.
    return runStreamedAsBuffered(handler, payload, context, requestId, () => clearTimeout(timer), timedOut);
  }
  const run = new Promise<unknown>((resolve, reject) => {
    const callback = (err: unknown, result?: unknown) => (err ? reject(err) : resolve(result));
    try {
      const returned = handler(payload, context, handler.length >= 3 ? callback : undefined);
      if (handler.length < 3 || (returned && typeof (returned as Promise<unknown>).then === "function")) {
        Promise.resolve(returned).then(resolve, reject);
      }
    } catch (err) {
      reject(err);
    }
  });
  try {
    const result = await Promise.race([run, timedOut]);
    if (result === "timeout") {
      const seconds = (config.timeoutMs / 1000).toFixed(2);
      return functionFailure(
        "Sandbox.Timedout",
        `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
      );
    }
    let body: string;
    try {
      body = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      return functionFailure(
        "Runtime.MarshalError",
        `Unable to marshal response: ${describeError(err).errorMessage}`,
      );
    }
    const size = Buffer.byteLength(body);
    if (size > MAX_RESPONSE_BYTES) {
      return functionFailure(
        "Function.ResponseSizeTooLarge",
        `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      );
    }
    return {
      status: 200,
      headers: { "content-type": "application/json", "x-amz-executed-version": "$LATEST" },
      body,
      errorType: null,
      functionError: null,
    };
  } catch (err) {
    const { errorType, errorMessage, trace } = describeError(err);
    return functionFailure(errorType, errorMessage, trace);
  } finally {
    clearTimeout(timer);
  }
}

async function runStreamedAsBuffered(
  handler: Handler,
  payload: unknown,
  context: LambdaContext,
  requestId: string,
  stopTimer: () => void,
  timedOut: Promise<"timeout">,
): Promise<Outcome> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new ResponseStream(
    {
      async write(chunk) {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      },
    },
    highWaterMarkOf(handler),
  );
  try {
    const result = await Promise.race([
      runStreamingHandler(handler as (...args: unknown[]) => unknown, payload, context, stream),
      timedOut,
    ]);
    if (result === "timeout") {
      stream.destroy();
      const seconds = (config.timeoutMs / 1000).toFixed(2);
      return functionFailure(
        "Sandbox.Timedout",
        `${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
      );
    }
    if (size > MAX_RESPONSE_BYTES) {
      return functionFailure(
        "Function.ResponseSizeTooLarge",
        `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      );
    }
    return {
      status: 200,
      headers: { "content-type": stream.contentType, "x-amz-executed-version": "$LATEST" },
      body: Buffer.concat(chunks),
      errorType: null,
      functionError: null,
    };
  } catch (err) {
    const { errorType, errorMessage, trace } = describeError(err);
    return functionFailure(errorType, errorMessage, trace);
  } finally {
    stopTimer();
  }
}

/** `payload` holds the body only up to the quota; `size` is its full length. */
async function invoke(
  req: IncomingMessage,
  rawName: string,
  payload: Buffer,
  size: number,
  akid: string | null,
  streamTo?: ServerResponse,
): Promise<Outcome> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const invocationType = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
  const types = streamTo ? ["RequestResponse", "DryRun"] : ["RequestResponse", "Event", "DryRun"];
  if (!types.includes(invocationType)) {
    return serviceError(
      400,
      "InvalidParameterValueException",
      `Unsupported invocation type: ${invocationType}`,
    );
  }
  const limit = invocationType === "Event" ? MAX_EVENT_REQUEST_BYTES : MAX_REQUEST_BYTES;
  if (size > limit) {
    const message =
      invocationType === "Event"
        ? `${size} byte payload is too large for the Event invocation type (limit ${limit} bytes)`
        : `Request must be smaller than ${limit} bytes for the InvokeFunction operation`;
    return serviceError(413, "RequestEntityTooLargeException", message);
  }
  const parsed = parseFunctionName(rawName);
  const queryQualifier = url.searchParams.get("Qualifier");
  if (parsed?.qualifier && queryQualifier && parsed.qualifier !== queryQualifier) {
    return serviceError(
      400,
      "InvalidParameterValueException",
      "The derived qualifier from the function name does not match the specified qualifier.",
    );
  }
  const qualifier = parsed?.qualifier ?? queryQualifier;
  const arn = functionArn(config.region, config.accountId, parsed?.name ?? rawName, qualifier);
  if (akid && faults.deniedAccessKeyIds?.includes(akid)) {
    return serviceError(
      403,
      "AccessDeniedException",
      `User: arn:aws:iam::${config.accountId}:user/${akid} is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no identity-based policy allows the lambda:InvokeFunction action`,
    );
  }
  const exists =
    parsed !== null &&
    parsed.name === config.functionName &&
    (parsed.region === null || parsed.region === config.region) &&
    (parsed.accountId === null || parsed.accountId === config.accountId) &&
    (qualifier === null || qualifier === "$LATEST" || config.aliases.includes(qualifier));
  if (!exists) return serviceError(404, "ResourceNotFoundException", `Function not found: ${arn}`);

  let event: unknown;
  try {
    event = payload.length === 0 ? {} : JSON.parse(payload.toString("utf8"));
  } catch {
    return serviceError(400, "InvalidRequestContentException", "Could not parse request body into json");
  }
  if (invocationType === "DryRun") {
    return { status: 204, headers: {}, body: "", errorType: null, functionError: null };
  }
  if (faults.throttle === true || (typeof faults.throttle === "number" && faults.throttle > 0)) {
    if (typeof faults.throttle === "number") faults.throttle -= 1;
    return serviceError(429, "TooManyRequestsException", "Rate Exceeded.", {
      Reason: "CallerRateLimitExceeded",
    });
  }
  if (faults.maxConcurrency !== undefined && inFlight >= faults.maxConcurrency) {
    return serviceError(429, "TooManyRequestsException", "Rate Exceeded.", {
      Reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
    });
  }
  inFlight += 1;
  const finish = (async () => {
    try {
      if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      return await (streamTo ? runStreamed(event, arn, streamTo) : runHandler(event, arn));
    } finally {
      inFlight -= 1;
    }
  })();
  if (invocationType === "Event") {
    void finish;
    return { status: 202, headers: {}, body: "", errorType: null, functionError: null };
  }
  return finish;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const STREAMING_INVOKE_PATH = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/;

async function handleInvokeRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const receivedAt = new Date();
  const started = performance.now();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the quota only the size matters: do not hold the rest in memory.
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  }
  const payload = Buffer.concat(chunks);
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const streamingMatch = STREAMING_INVOKE_PATH.exec(path);
  const match = INVOKE_PATH.exec(path) ?? streamingMatch;
  const auth = accessKeyIdOf(req.headers.authorization);
  let outcome: Outcome;
  let functionName = "";
  if (!match || req.method !== "POST") {
    outcome = serviceError(404, "UnknownOperationException", `No Lambda operation for ${req.method} ${path}`);
  } else {
    functionName = decodeURIComponent(match[1] ?? "");
    outcome =
      auth.problem ??
      (await invoke(req, functionName, payload, size, auth.akid, streamingMatch ? res : undefined));
  }
  if (match) {
    const parsed = parseFunctionName(functionName);
    const url = new URL(req.url ?? "/", "http://localhost");
    invocations.push({
      functionName,
      qualifier: parsed?.qualifier ?? url.searchParams.get("Qualifier"),
      accessKeyId: auth.akid,
      invocationType: String(req.headers["x-amz-invocation-type"] ?? "RequestResponse"),
      payloadSize: size,
      status: outcome.status,
      errorType: outcome.errorType,
      functionError: outcome.functionError ?? outcome.streamed?.errorCode ?? null,
      responseSize:
        outcome.streamed?.responseSize ?? (outcome.errorType ? 0 : Buffer.byteLength(outcome.body)),
      streaming: streamingMatch !== null,
      receivedAt: receivedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
    });
  }
  if (outcome.streamed) return;
  res.writeHead(outcome.status, {
    ...outcome.headers,
    "x-amzn-RequestId": randomUUID(),
    "content-length": String(Buffer.byteLength(outcome.body)),
  });
  res.end(outcome.body);
}

// ---- the invoke listener, which the "down" fault closes and reopens on the same port ----

const sockets = new Set<Socket>();
let invokeServer: Server | undefined;
let invokePort = 0;

function openInvokeServer(port: number): Promise<number> {
  const server = createServer((req, res) => {
    handleInvokeRequest(req, res).catch((err: unknown) => {
      // A bug in this fake, not in the function: answer like a service fault so it is visible.
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent)
        res.writeHead(500, { "x-amzn-ErrorType": "ServiceException", "content-type": "application/json" });
      res.end(JSON.stringify({ Type: "Service", message: `fake Lambda failed: ${message}` }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  invokeServer = server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

async function applyDown(down: boolean): Promise<void> {
  if (down && invokeServer) {
    const server = invokeServer;
    invokeServer = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  } else if (!down && !invokeServer) {
    await openInvokeServer(invokePort);
  }
}

// ---- control API ----

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

const control = createServer((req, res) => {
  void (async () => {
    const route = `${req.method} ${req.url}`;
    if (route === "GET /invocations") return sendJson(res, 200, invocations);
    if (route === "DELETE /invocations") {
      invocations.length = 0;
      return sendJson(res, 200, { cleared: true });
    }
    if (route === "GET /faults") return sendJson(res, 200, faults);
    if (route === "PUT /faults") {
      let next: LambdaFaults;
      try {
        next = (await readJson(req)) as LambdaFaults;
      } catch {
        return sendJson(res, 400, { message: "faults must be a JSON object" });
      }
      faults = { ...next };
      await applyDown(Boolean(faults.down));
      return sendJson(res, 200, faults);
    }
    return sendJson(res, 404, { message: `no control route ${route}` });
  })().catch((err: unknown) =>
    sendJson(res, 500, { message: err instanceof Error ? err.message : String(err) }),
  );
});

invokePort = await openInvokeServer(0);
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", () => resolve()));
const controlPort = (control.address() as AddressInfo).port;
console.log(`lambda-invoke-server ready invoke=${invokePort} control=${controlPort}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => process.exit(0));
}
