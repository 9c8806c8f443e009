import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";

// A throwaway handler, so the fake service is proven independently of the real function's bundle.
const HANDLER = `
let calls = 0;
export const handler = async (event, context) => {
  calls += 1;
  switch (event.action) {
    case "throw": throw new TypeError("boom on purpose");
    case "big": return "x".repeat(6 * 1024 * 1024 + 200);
    case "sleep": await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms };
    case "calls": return { calls };
    case "log": console.log("function log line " + process.env.CANARY_SECRET); return null;
    default: return {
      echo: event,
      functionName: context.functionName,
      invokedFunctionArn: context.invokedFunctionArn,
      remainingMs: context.getRemainingTimeInMillis(),
      prefix: process.env.SSM_SIGN_PROXY_PREFIX,
    };
  }
};
`;

const decode = (bytes: Uint8Array | undefined): unknown =>
  JSON.parse(Buffer.from(bytes ?? []).toString("utf8"));
const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

describe("startLambdaInvokeEndpoint with the AWS SDK's LambdaClient", () => {
  let dir: string;
  let lambda: LambdaInvokeEndpoint;
  let client: LambdaClient;
  const clientFor = (accessKeyId: string) =>
    new LambdaClient({
      endpoint: lambda.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId, secretAccessKey: "fake-secret" },
      maxAttempts: 1,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fake-lambda-handler-"));
    await writeFile(join(dir, "handler.mjs"), HANDLER);
    lambda = await startLambdaInvokeEndpoint({
      functionName: "signer",
      handlerModule: join(dir, "handler.mjs"),
      aliases: ["live"],
      timeoutMs: 1500,
      env: { SSM_SIGN_PROXY_PREFIX: "/sign-proxy-test/selftest/", CANARY_SECRET: "canary-9f2e" },
    });
    client = clientFor("AKIDSELFTEST0001");
  });
  afterEach(async () => {
    await lambda.setFaults({});
  });
  afterAll(async () => {
    client.destroy();
    await lambda.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the handler with the event, a context and the function's environment", async () => {
    await lambda.clearInvocations();
    const out = await client.send(
      new InvokeCommand({ FunctionName: "signer", Payload: encode({ hello: "world" }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe("$LATEST");
    const result = decode(out.Payload) as Record<string, unknown>;
    expect(result).toMatchObject({
      echo: { hello: "world" },
      functionName: "signer",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:signer",
      prefix: "/sign-proxy-test/selftest/",
    });
    expect(result.remainingMs).toBeGreaterThan(1000);
    expect(await lambda.invocations()).toEqual([
      expect.objectContaining({
        functionName: "signer",
        accessKeyId: "AKIDSELFTEST0001",
        invocationType: "RequestResponse",
        payloadSize: JSON.stringify({ hello: "world" }).length,
        status: 200,
        errorType: null,
        functionError: null,
      }),
    ]);
  });

  it("keeps module state between calls, like a warm sandbox", async () => {
    const first = decode(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "calls" }) })))
        .Payload,
    ) as { calls: number };
    const second = decode(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "calls" }) })))
        .Payload,
    ) as { calls: number };
    expect(second.calls).toBe(first.calls + 1);
  });

  it("accepts a full ARN, a partial ARN and an existing qualifier; anything else is ResourceNotFoundException", async () => {
    for (const name of [
      lambda.functionArn,
      "123456789012:function:signer",
      "signer:live",
      `${lambda.functionArn}:$LATEST`,
    ]) {
      const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({}) }));
      expect(out.StatusCode, name).toBe(200);
    }
    const live = await client.send(
      new InvokeCommand({ FunctionName: "signer", Qualifier: "live", Payload: encode({}) }),
    );
    expect(live.StatusCode).toBe(200);
    for (const name of [
      "other",
      "signer:missing",
      "arn:aws:lambda:us-east-1:999999999999:function:signer",
      "arn:aws:lambda:eu-west-1:123456789012:function:signer",
    ]) {
      const err = await client
        .send(new InvokeCommand({ FunctionName: name, Payload: encode({}) }))
        .catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ResourceNotFoundException);
      expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
      expect((err as ResourceNotFoundException).message).toMatch(/^Function not found: arn:aws:lambda:/);
    }
  });

  it("refuses a request payload over 6 MB with 413 RequestEntityTooLargeException", async () => {
    const payload = encode({ pad: "y".repeat(6 * 1024 * 1024) });
    const err = await client
      .send(new InvokeCommand({ FunctionName: "signer", Payload: payload }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: "RequestEntityTooLargeException",
      message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
      $metadata: { httpStatusCode: 413 },
    });
    expect((await lambda.invocations()).at(-1)).toMatchObject({ status: 413, payloadSize: payload.length });
  });

  it("answers DryRun with 204 without running the handler, and Event with 202", async () => {
    const before = decode(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "calls" }) })))
        .Payload,
    ) as { calls: number };
    const dry = await client.send(
      new InvokeCommand({ FunctionName: "signer", InvocationType: "DryRun", Payload: encode({}) }),
    );
    expect(dry.StatusCode).toBe(204);
    const after = decode(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "calls" }) })))
        .Payload,
    ) as { calls: number };
    expect(after.calls).toBe(before.calls + 1);
    const event = await client.send(
      new InvokeCommand({ FunctionName: "signer", InvocationType: "Event", Payload: encode({}) }),
    );
    expect(event.StatusCode).toBe(202);
  });

  it("reports a thrown error as a function error (200, FunctionError Unhandled)", async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "throw" }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe("Unhandled");
    const body = decode(out.Payload) as { errorType: string; errorMessage: string; trace: string[] };
    expect(body.errorType).toBe("TypeError");
    expect(body.errorMessage).toBe("boom on purpose");
    expect(body.trace[0]).toBe("TypeError: boom on purpose");
  });

  it("reports a response over the limit as Function.ResponseSizeTooLarge", async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "big" }) }),
    );
    expect(out.FunctionError).toBe("Unhandled");
    expect(decode(out.Payload)).toMatchObject({
      errorType: "Function.ResponseSizeTooLarge",
      errorMessage: expect.stringMatching(/exceeded maximum allowed payload size \(6291556 bytes\)/),
    });
  });

  it("ends a handler that outlives the function timeout with Sandbox.Timedout", async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "sleep", ms: 3000 }) }),
    );
    expect(out.FunctionError).toBe("Unhandled");
    expect(decode(out.Payload)).toMatchObject({
      errorType: "Sandbox.Timedout",
      errorMessage: expect.stringMatching(/Task timed out after 1\.50 seconds$/),
    });
  });

  it("throttles with 429 TooManyRequestsException: always, or for the next N calls", async () => {
    await lambda.setFaults({ throttle: 1 });
    const err = await client
      .send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsException);
    expect(err).toMatchObject({ Reason: "CallerRateLimitExceeded", $metadata: { httpStatusCode: 429 } });
    const next = await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }));
    expect(next.StatusCode).toBe(200);
    await lambda.setFaults({ throttle: true });
    for (let i = 0; i < 2; i++) {
      await expect(
        client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) })),
      ).rejects.toBeInstanceOf(TooManyRequestsException);
    }
  });

  it("enforces a concurrency limit while calls are slow", async () => {
    await lambda.setFaults({ maxConcurrency: 1, delayMs: 300 });
    const results = await Promise.allSettled(
      [0, 1].map(() => client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))),
    );
    const statuses = results.map((r) =>
      r.status === "fulfilled" ? r.value.StatusCode : (r.reason as TooManyRequestsException).Reason,
    );
    expect(statuses.sort()).toEqual([200, "ReservedFunctionConcurrentInvocationLimitExceeded"].sort());
  });

  it("denies chosen access key ids with 403 AccessDeniedException", async () => {
    await lambda.setFaults({ deniedAccessKeyIds: ["AKIDDENIED000001"] });
    const denied = clientFor("AKIDDENIED000001");
    try {
      const err = await denied
        .send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
      expect((err as Error).message).toContain("is not authorized to perform: lambda:InvokeFunction");
    } finally {
      denied.destroy();
    }
    expect(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))).StatusCode,
    ).toBe(200);
  });

  it("while down, resets open connections and refuses new ones; serves again on the same port afterwards", async () => {
    await lambda.setFaults({ down: true });
    // The client's pooled keep-alive socket was destroyed: its next call fails on that socket.
    const onPooled = await client
      .send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))
      .catch((e: unknown) => e);
    expect(onPooled).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|ECONNREFUSED)$/) });
    const fresh = clientFor("AKIDSELFTEST0002");
    try {
      const err = await fresh
        .send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "ECONNREFUSED" });
    } finally {
      fresh.destroy();
    }
    await lambda.setFaults({});
    expect(
      (await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({}) }))).StatusCode,
    ).toBe(200);
  });

  it("requires a SigV4 Authorization header", async () => {
    const res = await fetch(`${lambda.endpoint}/2015-03-31/functions/signer/invocations`, {
      method: "POST",
      body: "{}",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    expect((await lambda.invocations()).at(-1)).toMatchObject({ status: 403, accessKeyId: null });
  });

  it("captures the function's log lines for secret-leak assertions", async () => {
    await client.send(new InvokeCommand({ FunctionName: "signer", Payload: encode({ action: "log" }) }));
    await lambda.process.waitForLine(/function log line/);
    expect(lambda.process.allOutput()).toContain("canary-9f2e");
  });
});

describe("startLambdaInvokeEndpoint with a handler module that cannot load", () => {
  it("answers every call with a Runtime.ImportModuleError function error, like a broken deployment", async () => {
    const lambda = await startLambdaInvokeEndpoint({
      functionName: "broken",
      handlerModule: "/nonexistent/handler.mjs",
    });
    const client = new LambdaClient({
      endpoint: lambda.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDSELFTEST0003", secretAccessKey: "fake-secret" },
      maxAttempts: 1,
    });
    try {
      const out = await client.send(new InvokeCommand({ FunctionName: "broken", Payload: encode({}) }));
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBe("Unhandled");
      expect(decode(out.Payload)).toMatchObject({
        errorType: "Runtime.ImportModuleError",
        errorMessage: expect.stringContaining("/nonexistent/handler.mjs"),
      });
    } finally {
      client.destroy();
      await lambda.stop();
    }
  });
});
