/**
 * Cache floods against the built function bundle (Lambda mode: daemon -> Invoke endpoint -> bundle -> fault
 * relay -> moto). 10,050 distinct unknown host names are sent straight to the function (Invoke API):
 * - Parameter Store reads for names the instance does not know stay within the per-instance budget (100 at
 *   once, then 10 per second): the rest are answered 407 `lookups-rate-limited` without a read, logged once per
 *   10 s interval with a count;
 * - the real host's entry is not evicted (negative entries live in their own, smaller set): with SSM then
 *   throttled and the entry expired, the real host is still served, from the stale copy.
 */
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbResult } from "../../lambda/core/proxy-request";
import { encodeEvent } from "../../lambda/wire/event-codec";
import { MOTO_ACCESS_KEY_ID } from "../support/moto";
import { receivedHeader } from "../support/received";
import { recordSection } from "./support/figures";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";

const FLOOD = 10_050;
const CONCURRENCY = 32;
const TTL_SECONDS = 3;

let stack: LambdaStack;
/** Keep-alive connections to the Invoke endpoint: the flood measures the function, not TCP handshakes. */
const agent = new Agent({ connections: CONCURRENCY });
/** The endpoint reads the access key from the Authorization header and does not verify the signature. */
const AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${MOTO_ACCESS_KEY_ID}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  stack = await startLambdaStack({
    label: "cache-flood",
    functionEnv: { SSM_SIGN_PROXY_CACHE_TTL: String(TTL_SECONDS) },
  });
});
afterAll(async () => {
  recordSection("cacheFlood", figures);
  await agent.close();
  await stack?.stop();
});

async function invoke(host: string): Promise<{ status: number; code: string | undefined }> {
  const event = encodeEvent({
    method: "GET",
    path: "/",
    query: [],
    headers: [["host", host]],
    body: Buffer.alloc(0),
  });
  const response = await request(
    `${stack.lambda.endpoint}/2015-03-31/functions/${stack.functionName}/invocations`,
    {
      method: "POST",
      dispatcher: agent,
      headers: { authorization: AUTHORIZATION, "content-type": "application/json" },
      body: JSON.stringify(event),
    },
  );
  const result = (await response.body.json()) as AlbResult;
  const headers = "multiValueHeaders" in result ? result.multiValueHeaders : {};
  return { status: result.statusCode, code: headers["x-ssm-sign-proxy-error"]?.[0] };
}

describe("a flood of unknown host names", () => {
  it(`${FLOOD} distinct names cost at most the lookup budget in SSM reads; the real host survives throttling`, async () => {
    const primed = await stack.get(stack.url("/echo/prime"));
    expect(primed.status).toBe(200);
    const primedAt = Date.now();
    const readsBefore = stack.ssmRelay.passed;

    const started = performance.now();
    const codes: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < FLOOD) {
          const i = next++;
          const { status, code } = await invoke(`flood-${i}.example`);
          expect(status).toBe(407);
          const key = code ?? "none";
          codes[key] = (codes[key] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const reads = stack.ssmRelay.passed - readsBefore;
    const budget = 100 + Math.ceil(seconds) * 10;
    figures.flood = { names: FLOOD, seconds: Math.round(seconds * 10) / 10, ssmReads: reads, budget, codes };
    // A lookup is one GetParametersByPath; a few more for SDK retries when moto is slow under load.
    expect(reads).toBeLessThanOrEqual(Math.ceil(budget * 1.1));
    expect(codes["lookups-rate-limited"]).toBeGreaterThan(FLOOD - budget - 1);
    // Logged once per interval, with a count, never once per request.
    const limitedLines = stack.lambda.process.stdout.filter((l) =>
      l.includes("unknown host lookups rate-limited"),
    );
    expect(limitedLines.length).toBeGreaterThanOrEqual(1);
    expect(limitedLines.length).toBeLessThanOrEqual(Math.ceil(seconds / 10) + 1);

    // The real host's entry was not pushed out: once it has expired, with SSM throttled, it is served stale.
    await stack.ssmRelay.setFault({ kind: "throttle" });
    try {
      const wait = primedAt + TTL_SECONDS * 1000 + 200 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const served = await stack.get(stack.url("/echo/after-flood"));
      expect(served.status).toBe(200);
      // The answer quotes the request with the secret scrubbed; the upstream saw the real key.
      expect(receivedHeader(stack.upstream, "/echo/after-flood", "x-api-key")).toEqual([stack.apiKey]);
      await stack.lambda.process.waitForLine(/serving stale parameters/, { timeoutMs: 5000 });
      figures.realHostAfterFlood = { status: served.status, servedFrom: "stale-if-error" };
    } finally {
      await stack.ssmRelay.setFault({ kind: "pass" });
    }
  }, 120_000);
});
