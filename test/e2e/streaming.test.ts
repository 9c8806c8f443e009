/**
 * Streaming answers, through a Lambda-mode daemon (InvokeWithResponseStream against the test suite's Invoke
 * endpoint running the built bundle under the runtime stand-in) and a --local daemon: events arrive as the
 * API sends them, 100 MB answers pass with bounded memory, a slow client slows the API, and an API that dies
 * mid-answer gives the client an incomplete answer, never a short success. Plain Invoke keeps today's limit.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { seedParameters } from "../support/moto";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { generatedSha256, streamProgress } from "../support/streaming-routes";
import { type DaemonProcess, startDaemonProcess } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const moto = sharedMoto();
const prefix = uniquePrefix("streaming");
const secret = `streaming-secret-${randomBytes(6).toString("hex")}`;
const FUNCTION = "sign-proxy-streaming";
const MB = 1024 * 1024;

let upstream: HttpsUpstream;
let lambda: LambdaInvokeEndpoint;
let params: ParamsFile;
const daemons: Record<"lambda" | "local", DaemonProcess | undefined> = {
  lambda: undefined,
  local: undefined,
};

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  const parameters = { [`${prefix}${upstream.hostKey}/headers/X-Api-Key`]: secret };
  await seedParameters(moto.endpoint, parameters);
  params = paramsFile(parameters);
  lambda = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: { SSM_SIGN_PROXY_PREFIX: prefix, AWS_ENDPOINT_URL_SSM: moto.endpoint },
  });
  [daemons.lambda, daemons.local] = await Promise.all([
    startDaemonProcess({
      args: ["--function-name", FUNCTION, "--timeout", "10"],
      env: { ...moto.env, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint },
    }),
    startDaemonProcess({
      args: ["--local", params.path, "--prefix", prefix, "--timeout", "10"],
      env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([daemons.lambda?.stop(), daemons.local?.stop()]);
  await lambda?.stop();
  await upstream?.stop();
  params?.remove();
});

/** Peak resident memory of a process so far (Linux VmHWM), in bytes. */
function peakRss(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** A proxied GET (absolute-form, as http_proxy clients send it); resolves at the headers. */
function get(mode: "lambda" | "local", path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: daemons[mode]?.port,
      path: `http://localhost:${upstream.port}${path}`,
      agent: false,
    });
    req.on("response", resolve);
    req.on("error", reject);
    req.end();
  });
}

/** Reads a body to its end; `complete` is false when the connection ended before the body did. */
function drain(res: IncomingMessage): Promise<{ sha256: string; bytes: number; complete: boolean }> {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    let bytes = 0;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve({ sha256: hash.digest("hex"), bytes, complete: res.complete });
    };
    res.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    res.on("end", done);
    res.on("error", done);
    res.on("close", done);
  });
}

describe.each(["lambda", "local"] as const)("streaming through the daemon in %s mode", (mode) => {
  it("delivers each Server-Sent Event within 300 ms of the API sending it, all in order", async () => {
    const res = await get(mode, "/sse?count=20&intervalMs=100");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream");
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    const events: Array<{ i: number; sentAt: number; receivedAt: number }> = [];
    let pending = "";
    res.setEncoding("utf8");
    for await (const chunk of res as AsyncIterable<string>) {
      const receivedAt = Date.now();
      pending += chunk;
      const blocks = pending.split("\n\n");
      pending = blocks.pop() ?? "";
      for (const block of blocks) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push({ ...(JSON.parse(data) as { i: number; sentAt: number }), receivedAt });
      }
    }
    expect(events.map((e) => e.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const first = events[0];
    expect(first && first.receivedAt - first.sentAt).toBeLessThan(300);
    // Spread over the 2 s the API took, not bunched at the end.
    expect((events.at(-1)?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThan(1500);
  });

  it("carries a 100 MB answer byte for byte, the daemon's and the function's peak RSS under 150 MB", async () => {
    const size = 100 * MB;
    const res = await get(mode, `/generate?size=${size}`);
    expect(res.statusCode).toBe(200);
    const got = await drain(res);
    expect(got).toMatchObject({ bytes: size, complete: true });
    expect(got.sha256).toBe(generatedSha256(size));
    expect(peakRss(daemons[mode]?.child.pid)).toBeLessThan(150 * MB);
    if (mode === "lambda") expect(peakRss(lambda.process.child.pid)).toBeLessThan(150 * MB);
  }, 60_000);

  it("slows the API down for a client that stops reading, then delivers the rest", async () => {
    const size = 100 * MB;
    const path = `/generate?size=${size}&slow=${mode}`;
    const res = await get(mode, path);
    res.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const progress = streamProgress.get(path);
    // Socket buffers and each hop's high-water mark hold some; the API never got far ahead.
    expect(progress?.written).toBeLessThan(40 * MB);
    expect(progress?.finished).toBe(false);
    res.resume();
    const got = await drain(res);
    expect(got).toMatchObject({ bytes: size, complete: true });
    expect(got.sha256).toBe(generatedSha256(size));
  }, 60_000);

  it("ends the client's answer incomplete when the API dies mid-stream, and logs it", async () => {
    const res = await get(mode, "/die-mid-stream?after=4096");
    expect(res.statusCode).toBe(200);
    const got = await drain(res);
    expect(got.complete).toBe(false);
    expect(got.bytes).toBeLessThanOrEqual(4096);
    await daemons[mode]?.waitForLog((l) => String(l.msg).includes("ended abnormally"), 5000);
  });
});

describe("plain Invoke (older daemons) and ALB events", () => {
  it("still get one buffered result, with today's 6 MB limit, from the same streaming function", async () => {
    const client = new LambdaClient({ ...moto.clientConfig, endpoint: lambda.endpoint, maxAttempts: 1 });
    try {
      const invoke = async (path: string, extra: Record<string, unknown> = {}) => {
        const out = await client.send(
          new InvokeCommand({
            FunctionName: FUNCTION,
            Payload: Buffer.from(
              JSON.stringify({
                httpMethod: "GET",
                path: path.split("?")[0],
                multiValueHeaders: { host: [`localhost:${upstream.port}`] },
                multiValueQueryStringParameters: Object.fromEntries(
                  [...new URLSearchParams(path.split("?")[1] ?? "")].map(([k, v]) => [k, [v]]),
                ),
                ...extra,
              }),
            ),
          }),
        );
        return JSON.parse(Buffer.from(out.Payload ?? []).toString("utf8")) as {
          statusCode: number;
          body: string;
          multiValueHeaders: Record<string, string[]>;
        };
      };
      const small = await invoke("/generate?size=1000");
      expect(small.statusCode).toBe(200);
      const large = await invoke(`/generate?size=${5 * MB}`);
      expect(large.statusCode).toBe(502);
      expect(large.multiValueHeaders["x-ssm-sign-proxy-error"]).toEqual(["upstream-too-large"]);
      const alb = await invoke(`/generate?size=${MB}`, {
        requestContext: { elb: { targetGroupArn: "arn" } },
      });
      expect(alb.statusCode).toBe(502);
    } finally {
      client.destroy();
    }
  });
});
