/**
 * Parameter Store faults, seen from a client of a Lambda-mode daemon: the built bundle runs in the Invoke
 * endpoint with AWS_ENDPOINT_URL_SSM pointed at a fault relay in front of moto and SSM_SIGN_PROXY_CACHE_TTL=1.
 * For each fault (access denied, SSM unreachable, throttled):
 * - a host with nothing cached gets the documented status: 502 naming the path (and, when denied, the
 *   permission), or 503 + Retry-After when throttled;
 * - a host whose cached value has expired is still served (stale-if-error) and the function logs a
 *   `serving stale parameters` warning for it;
 * then, once the faults clear, rotated values are seen again (after the cache's 10 s retry-after-error pause).
 * Each fault has its own warm host (its own upstream), so the three stale entries age in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { receivedHeader } from "../support/received";
import { canaryValue } from "./support/canary";
import type { RelayFault } from "./support/fault-relay";
import { recordSection } from "./support/figures";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";

type Fault = "deny" | "refuse" | "throttle";
const FAULTS: Fault[] = ["deny", "refuse", "throttle"];

let stack: LambdaStack;
const warm = {} as Record<Fault, { upstream: HttpsUpstream; apiKey: string }>;
const cold = {} as Record<Fault, string>;
const survived: string[] = [];
const extraUpstreams: HttpsUpstream[] = [];

beforeAll(async () => {
  stack = await startLambdaStack({ label: "faults-ssm", functionEnv: { SSM_SIGN_PROXY_CACHE_TTL: "1" } });
  for (const fault of FAULTS) {
    const upstream = fault === "deny" ? stack.upstream : await startHttpsUpstream();
    if (upstream !== stack.upstream) extraUpstreams.push(upstream);
    const apiKey = upstream === stack.upstream ? stack.apiKey : await stack.addHost(upstream.hostKey);
    warm[fault] = { upstream, apiKey };
    // Cold hosts have parameters too: only the fault can stop them.
    cold[fault] = `cold-${fault}.example`;
    await stack.addHost(cold[fault]);
  }
  // Load every warm host into the function's cache, then let the 1 s TTL run out.
  for (const fault of FAULTS) {
    const answer = await stack.get(warmUrl(fault, "/echo/prime"));
    expect(answer.status).toBe(200);
  }
  await new Promise((r) => setTimeout(r, 1500));
});

afterAll(async () => {
  recordSection("faultsSsm", { survived, count: survived.length });
  await stack?.stop();
  for (const upstream of extraUpstreams) await upstream.stop();
});

function warmUrl(fault: Fault, path: string): string {
  return `http://localhost:${warm[fault].upstream.port}${path}`;
}

function staleWarnings(hostKey: string): string[] {
  return stack.lambda.process.stdout.filter(
    (l) => l.includes("serving stale parameters") && l.includes(hostKey),
  );
}

/** The warm host's expired value is served while SSM fails, with the function's warning. */
async function expectStaleServed(fault: Fault): Promise<void> {
  const answer = await stack.get(warmUrl(fault, "/echo/stale"));
  expect(answer.status).toBe(200);
  expect(receivedHeader(warm[fault].upstream, "/echo/stale", "X-Api-Key")).toEqual([warm[fault].apiKey]);
  // The line may reach us just after the answer: wait for this host's warning, not any earlier one.
  const hostKey = warm[fault].upstream.hostKey;
  await stack.lambda.process.waitForLine(new RegExp(`serving stale parameters.*"host":"${hostKey}"`), {
    timeoutMs: 5000,
  });
  expect(staleWarnings(hostKey)).toHaveLength(1);
  expect(stack.alive()).toBe(true);
}

async function withFault(fault: RelayFault, run: () => Promise<void>): Promise<void> {
  await stack.ssmRelay.setFault(fault);
  try {
    await run();
  } finally {
    await stack.ssmRelay.setFault({ kind: "pass" });
  }
}

describe("Parameter Store faults", () => {
  it("access denied: 502 naming the path and the permission; an expired cached value is served stale", async () => {
    await withFault({ kind: "deny" }, async () => {
      const { status, body } = await stack.get(`http://${cold.deny}/echo`);
      expect(status).toBe(502);
      expect(body).toContain(
        `Parameter Store denied access to ${stack.prefix}/${cold.deny} (AccessDeniedException)`,
      );
      expect(body).toMatch(/ssm:GetParametersByPath/);
      await expectStaleServed("deny");
    });
    survived.push("SSM access denied");
  });

  it("unreachable: 502 naming the path and the network cause; an expired cached value is served stale", async () => {
    await withFault({ kind: "refuse" }, async () => {
      const { status, body } = await stack.get(`http://${cold.refuse}/echo`);
      expect(status).toBe(502);
      expect(body).toContain(
        `Parameter Store could not be read for ${stack.prefix}/${cold.refuse} (ECONNREFUSED)`,
      );
      await expectStaleServed("refuse");
    });
    survived.push("SSM unreachable");
  });

  it("throttled: 503 with Retry-After; an expired cached value is served stale", async () => {
    await withFault({ kind: "throttle" }, async () => {
      const { status, body, headers } = await stack.get(`http://${cold.throttle}/echo`);
      expect(status).toBe(503);
      expect(body).toContain(`Parameter Store throttled reading ${stack.prefix}/${cold.throttle}`);
      expect(Number(headers.find(([n]) => n === "retry-after")?.[1])).toBeGreaterThanOrEqual(1);
      await expectStaleServed("throttle");
    });
    survived.push("SSM throttled");
  });

  it("after the faults clear, rotated values are seen again and cold hosts are signed", async () => {
    const rotated = {} as Record<Fault, string>;
    for (const fault of FAULTS) {
      rotated[fault] = canaryValue(`rotated-${fault}`);
      await stack.rotate(warm[fault].upstream.hostKey, rotated[fault]);
    }
    // The stale entries are retried 10 s after the failure: poll until each host shows its new value.
    const deadline = Date.now() + 20_000;
    for (const fault of FAULTS) {
      // What the API received (its echo of the value reaches the client scrubbed).
      let sent: string[] = [];
      while (Date.now() < deadline) {
        const answer = await stack.get(warmUrl(fault, "/echo/rotated"));
        expect(answer.status).toBe(200);
        sent = receivedHeader(warm[fault].upstream, "/echo/rotated", "X-Api-Key");
        if (sent.includes(rotated[fault])) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(sent).toEqual([rotated[fault]]);
    }
    for (const fault of FAULTS) {
      // The cold hosts have no upstream; reaching the connect step (502 ENOTFOUND-like) proves SSM answered.
      const { body } = await stack.get(`http://${cold[fault]}/echo`);
      expect(body).toMatch(/^upstream /);
    }
    expect(stack.alive()).toBe(true);
  }, 30_000);

  it("no canary value leaked into the daemon's or the function's output, error bodies or metrics", async () => {
    expect(await stack.leaks()).toEqual([]);
  });
});
