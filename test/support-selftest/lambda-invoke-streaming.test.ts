import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  type InvokeWithResponseStreamCommandOutput,
  LambdaClient,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";

// A throwaway streaming handler, so the fake service and its runtime stand-in are proven on their own.
const STREAMING_HANDLER = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = awslambda.streamifyResponse(async (event, stream, context) => {
  switch (event.action) {
    case "prelude": {
      const http = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { "x-a": "1" } });
      http.write("hello ");
      http.write(Buffer.from("world"));
      http.end();
      return;
    }
    case "paced":
      for (let i = 0; i < 4; i++) { stream.write("tick" + i + ";"); await sleep(150); }
      stream.end();
      return;
    case "big": {
      const chunk = Buffer.alloc(64 * 1024, 120);
      for (let i = 0; i < 112; i++) if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
      stream.end();
      return;
    }
    case "throw-after":
      stream.write("partial");
      await sleep(20);
      throw new TypeError("boom mid-stream");
    case "never-end":
      stream.write("x");
      return;
    case "late-content-type":
      stream.write("x");
      stream.setContentType("text/plain");
      return;
    default:
      stream.write(JSON.stringify({ name: context.functionName, event }));
      stream.end();
  }
});
`;

const BUFFERED_HANDLER = `export const handler = async (event) => ({ echo: event });`;

interface Collected {
  chunks: Buffer[];
  arrivals: number[];
  complete?: { ErrorCode?: string; ErrorDetails?: string };
}

async function collect(out: InvokeWithResponseStreamCommandOutput): Promise<Collected> {
  const collected: Collected = { chunks: [], arrivals: [] };
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk?.Payload) {
      collected.chunks.push(Buffer.from(event.PayloadChunk.Payload));
      collected.arrivals.push(performance.now());
    }
    if (event.InvokeComplete) collected.complete = event.InvokeComplete;
  }
  return collected;
}

describe("the fake Lambda service's InvokeWithResponseStream, read by the SDK's own event-stream parser", () => {
  let dir: string;
  let streaming: LambdaInvokeEndpoint;
  let buffered: LambdaInvokeEndpoint;
  const clients: LambdaClient[] = [];
  const clientFor = (lambda: LambdaInvokeEndpoint) => {
    const client = new LambdaClient({
      endpoint: lambda.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDSTREAM", secretAccessKey: "fake-secret" },
      maxAttempts: 1,
    });
    clients.push(client);
    return client;
  };
  const stream = (lambda: LambdaInvokeEndpoint, event: unknown) =>
    clientFor(lambda).send(
      new InvokeWithResponseStreamCommand({
        FunctionName: "signer",
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fake-lambda-streaming-"));
    await writeFile(join(dir, "streaming.mjs"), STREAMING_HANDLER);
    await writeFile(join(dir, "buffered.mjs"), BUFFERED_HANDLER);
    [streaming, buffered] = await Promise.all([
      startLambdaInvokeEndpoint({
        functionName: "signer",
        handlerModule: join(dir, "streaming.mjs"),
        timeoutMs: 1500,
      }),
      startLambdaInvokeEndpoint({ functionName: "signer", handlerModule: join(dir, "buffered.mjs") }),
    ]);
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await Promise.all([streaming?.stop(), buffered?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("streams HttpResponseStream's prelude, the 8 NUL delimiter and the body, ending with InvokeComplete", async () => {
    const out = await stream(streaming, { action: "prelude" });
    expect(out.StatusCode).toBe(200);
    expect(out.ResponseStreamContentType).toBe("application/vnd.awslambda.http-integration-response");
    expect(out.ExecutedVersion).toBe("$LATEST");
    const { chunks, complete } = await collect(out);
    const bytes = Buffer.concat(chunks);
    const prelude = JSON.stringify({ statusCode: 201, headers: { "x-a": "1" } });
    expect(
      bytes.equals(Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from("hello world")])),
    ).toBe(true);
    expect(complete).toBeDefined();
    expect(complete?.ErrorCode).toBeUndefined();
  });

  it("delivers each write as it happens, not when the function ends", async () => {
    const started = performance.now();
    const { chunks, arrivals } = await collect(await stream(streaming, { action: "paced" }));
    expect(Buffer.concat(chunks).toString()).toBe("tick0;tick1;tick2;tick3;");
    expect((arrivals[0] ?? Number.POSITIVE_INFINITY) - started).toBeLessThan(400);
    expect((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThan(300);
  });

  it("carries answers over the 6 MB synchronous limit (7 MiB here) with back-pressure honoured", async () => {
    const { chunks, complete } = await collect(await stream(streaming, { action: "big" }));
    expect(Buffer.concat(chunks).length).toBe(112 * 64 * 1024);
    expect(complete?.ErrorCode).toBeUndefined();
  });

  it("ends with an InvokeComplete ErrorCode when the handler rejects after writing", async () => {
    const { chunks, complete } = await collect(await stream(streaming, { action: "throw-after" }));
    expect(Buffer.concat(chunks).toString()).toBe("partial");
    expect(complete?.ErrorCode).toBe("TypeError");
    expect(JSON.parse(complete?.ErrorDetails ?? "{}")).toMatchObject({ errorMessage: "boom mid-stream" });
  });

  it("times out a handler that never ends its stream, and refuses a content type set after the first write", async () => {
    const timedOut = await collect(await stream(streaming, { action: "never-end" }));
    expect(timedOut.complete?.ErrorCode).toBe("Sandbox.Timedout");
    const late = await collect(await stream(streaming, { action: "late-content-type" }));
    expect(JSON.parse(late.complete?.ErrorDetails ?? "{}")).toMatchObject({
      errorMessage: "Cannot set content-type, too late.",
    });
  });

  it("raises a service error event mid-stream as an exception from the SDK's iterator", async () => {
    await streaming.setFaults({ streamServiceError: true });
    try {
      const out = await stream(streaming, { action: "paced" });
      await expect(collect(out)).rejects.toMatchObject({ name: "ServiceException" });
    } finally {
      await streaming.setFaults({});
    }
  });

  it("answers a plain Invoke of a streaming function with the streamed bytes, prelude included", async () => {
    const out = await clientFor(streaming).send(
      new InvokeCommand({
        FunctionName: "signer",
        Payload: Buffer.from(JSON.stringify({ action: "prelude" })),
      }),
    );
    const prelude = JSON.stringify({ statusCode: 201, headers: { "x-a": "1" } });
    expect(Buffer.from(out.Payload ?? []).toString("latin1")).toBe(`${prelude}${"\0".repeat(8)}hello world`);
  });

  it("streams a handler that is not streamified as one chunk holding its JSON result", async () => {
    const { chunks, complete } = await collect(await stream(buffered, { n: 1 }));
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ echo: { n: 1 } });
    expect(complete?.ErrorCode).toBeUndefined();
  });

  it("refuses the Event invocation type and records streamed invocations", async () => {
    await expect(
      clientFor(streaming).send(
        new InvokeWithResponseStreamCommand({
          FunctionName: "signer",
          Payload: Buffer.from("{}"),
          InvocationType: "Event" as "RequestResponse",
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    const calls = await streaming.invocations();
    expect(calls.some((c) => c.streaming && c.status === 200 && c.responseSize > 0)).toBe(true);
  });
});
