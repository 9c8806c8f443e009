/**
 * Lambda Invoke faults through a Lambda-mode daemon: each gets its documented status (README, "The daemon's own
 * statuses"), the daemon and the function stay up, and once the fault clears the next request is signed and
 * answered as before.
 * - Lambda unreachable (connections refused) -> 503 `signer unavailable`;
 * - Lambda slower than --timeout -> 504;
 * - Lambda throttling past the SDK's retries -> 503 with Retry-After;
 * - the function throws -> 502 naming the errorType (the message only in the daemon's debug log);
 * - the function's result is over Lambda's response limit -> 502 `response too large`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { receivedHeader } from "../support/received";
import { recordSection } from "./support/figures";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";

/**
 * Room for the SDK's throttling retries: 3 attempts with full-jitter backoff on a 500 ms base take up to 3 s,
 * and past --timeout a throttled request would be a 504 instead of the 503 under test.
 */
const TIMEOUT_SECONDS = 5;
let stack: LambdaStack;
const survived: string[] = [];

beforeAll(async () => {
  stack = await startLambdaStack({
    label: "faults-lambda",
    handlerModule: "test/hardening/support/faulty-handler.mjs",
    daemonArgs: ["--timeout", String(TIMEOUT_SECONDS)],
  });
});

afterAll(async () => {
  recordSection("faultsLambda", { survived, count: survived.length });
  await stack?.stop();
});

/** After a fault is cleared: both processes alive, and a normal request is signed and answered. */
async function expectRecovered(fault: string): Promise<void> {
  await stack.lambda.setFaults({});
  expect(stack.alive()).toBe(true);
  const after = await stack.get(stack.url("/echo/after-fault"));
  expect(after.status).toBe(200);
  expect(receivedHeader(stack.upstream, "/echo/after-fault", "X-Api-Key")).toEqual([stack.apiKey]);
  survived.push(fault);
}

const retryAfter = (headers: Array<[string, string]>) => headers.find(([n]) => n === "retry-after")?.[1];

describe("Lambda Invoke faults", () => {
  it("Lambda unreachable: 503 naming the function, then recovers", async () => {
    await stack.lambda.setFaults({ down: true });
    const { status, body } = await stack.get(stack.url("/echo/down"));
    expect(status).toBe(503);
    expect(body).toMatch(new RegExp(`^signer unavailable: invoking ${stack.functionName} failed`));
    await expectRecovered("Lambda unreachable");
  });

  it("Lambda slower than --timeout: 504", async () => {
    await stack.lambda.setFaults({ delayMs: (TIMEOUT_SECONDS + 2) * 1000 });
    const { status, body } = await stack.get(stack.url("/echo/slow"));
    expect(status).toBe(504);
    expect(body).toMatch(
      new RegExp(`^timeout: no answer from function ${stack.functionName} within ${TIMEOUT_SECONDS} s`),
    );
    await expectRecovered("Lambda slow past --timeout");
  });

  it("Lambda throttling after the SDK's retries: 503 with Retry-After", async () => {
    await stack.lambda.clearInvocations();
    await stack.lambda.setFaults({ throttle: true });
    const { status, body, headers } = await stack.get(stack.url("/echo/throttled"));
    expect(status).toBe(503);
    expect(body).toMatch(/^throttled: Lambda throttled function/);
    expect(Number(retryAfter(headers))).toBeGreaterThanOrEqual(1);
    // The SDK retried before giving up: more than one throttled Invoke for one request.
    const throttled = (await stack.lambda.invocations()).filter(
      (c) => c.errorType === "TooManyRequestsException",
    );
    expect(throttled.length).toBeGreaterThan(1);
    await expectRecovered("Lambda throttles");
  });

  it("the function throws: 502 naming the errorType, not the message", async () => {
    const { status, body } = await stack.get(stack.url("/fault/throw"));
    expect(status).toBe(502);
    expect(body).toBe(
      "the signer failed with a function error (RangeError); its message is in the daemon's log at debug level (--log-level debug)\n",
    );
    await expectRecovered("function error");
  });

  it("the function's result is over Lambda's response limit: 502 `response too large`", async () => {
    const { status, body } = await stack.get(stack.url("/fault/huge-result"));
    expect(status).toBe(502);
    expect(body).toMatch(/^response too large: .*exceeded maximum allowed payload size/);
    await expectRecovered("function response too large");
  });

  it("no canary value leaked into the daemon's or the function's output, error bodies or metrics", async () => {
    expect(await stack.leaks()).toEqual([]);
  });
});
