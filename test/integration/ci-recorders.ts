/**
 * Two small local servers for the keyless-CI integration tests:
 * - an STS tap: forwards every request to moto unchanged and records what was asked (the form fields) and
 *   which access key id moto handed back, so a test can check the ID token really reached STS;
 * - a Lambda Invoke endpoint: records the SigV4 access key id of each Invoke and answers like a function
 *   returning a fixed ALB result (DryRun: 204).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { invokeComplete, payloadChunk } from "../support/lambda-event-stream";

export interface StsCall {
  fields: Record<string, string>;
  /** From moto's answer; moto's assumed-role keys start with ASIA. */
  accessKeyId: string | undefined;
}

export interface StsTap {
  endpoint: string;
  calls: StsCall[];
  stop(): Promise<void>;
}

export interface InvokeRecord {
  functionName: string;
  invocationType: string;
  accessKeyId: string | undefined;
  hasSessionToken: boolean;
}

export interface InvokeRecorder {
  endpoint: string;
  invokes: InvokeRecord[];
  stop(): Promise<void>;
}

/** What the fake function answers to every RequestResponse Invoke. */
export const FAKE_FUNCTION_BODY = "answered-by-fake-function";

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("server has no port");
  return `http://127.0.0.1:${address.port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export async function startStsTap(motoEndpoint: string): Promise<StsTap> {
  const calls: StsCall[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "connection") headers[name] = value;
    }
    const upstream = await fetch(`${motoEndpoint}${req.url ?? "/"}`, {
      method: req.method ?? "POST",
      headers,
      body: body.length > 0 ? body : null,
    });
    const text = await upstream.text();
    calls.push({
      fields: Object.fromEntries(new URLSearchParams(body.toString("utf8"))),
      accessKeyId: /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1],
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/xml" });
    res.end(text);
  });
  const endpoint = await listen(server);
  return { endpoint, calls, stop: closer(server) };
}

export async function startInvokeRecorder(): Promise<InvokeRecorder> {
  const invokes: InvokeRecord[] = [];
  const server = createServer(async (req, res) => {
    await readBody(req);
    const match =
      /^\/(?:2015-03-31|2021-11-15)\/functions\/([^/]+)\/(?:invocations|response-streaming-invocations)/.exec(
        req.url ?? "",
      );
    const streaming = req.url?.includes("/response-streaming-invocations") === true;
    const invocationType = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
    invokes.push({
      functionName: decodeURIComponent(match?.[1] ?? ""),
      invocationType,
      accessKeyId: /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1],
      hasSessionToken: typeof req.headers["x-amz-security-token"] === "string",
    });
    if (invocationType === "DryRun") {
      res.writeHead(204).end();
      return;
    }
    const result = JSON.stringify({
      statusCode: 200,
      statusDescription: "200 OK",
      multiValueHeaders: { "content-type": ["text/plain"] },
      body: FAKE_FUNCTION_BODY,
      isBase64Encoded: false,
    });
    if (streaming) {
      // A function that does not stream, invoked with InvokeWithResponseStream: Lambda sends its whole
      // result as one PayloadChunk, then InvokeComplete.
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.write(payloadChunk(Buffer.from(result)));
      res.end(invokeComplete());
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(result);
  });
  const endpoint = await listen(server);
  return { endpoint, invokes, stop: closer(server) };
}
