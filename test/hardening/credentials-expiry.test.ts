/**
 * Credentials that expire mid-run. The daemon runs as in keyless CI: `--role-arn` with a web identity token
 * file, credentials from moto STS (AssumeRoleWithWebIdentity), no static keys. A fault relay in front of STS asks
 * for 15 s sessions (real STS allows 900 s at least; only the scale differs), and a relay in front of the Invoke
 * endpoint answers `ExpiredTokenException` for the key the daemon holds, as Lambda does once a session is over.
 *
 * What this proves:
 * - the AWS SDK neither retries ExpiredToken nor refreshes credentials because of it, so the daemon does: it
 *   drops its cached credentials, re-reads the token file, assumes the role again and retries the Invoke once
 *   with the new key; the client sees 200, and the daemon never restarts;
 * - the token and the parameter values never appear in any output.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOTO_ACCESS_KEY_ID } from "../support/moto";
import { receivedHeader } from "../support/received";
import { sharedMoto } from "../support/shared-moto";
import { canaryValue } from "./support/canary";
import { type FaultRelay, startFaultRelay } from "./support/fault-relay";
import { recordSection } from "./support/figures";
import { type LambdaStack, startLambdaStack } from "./support/lambda-stack";

const SESSION_SECONDS = 15;
const ROLE = "arn:aws:iam::123456789012:role/sign-proxy-expiry";
// A token-shaped canary: it must never be printed.
const TOKEN = `eyJhbGciOiJub25lIn0.${Buffer.from(canaryValue("oidc")).toString("base64url")}.`;

let dir: string;
let sts: FaultRelay;
let stack: LambdaStack;
const proven: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "expiry-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, TOKEN);
  sts = await startFaultRelay(sharedMoto().endpoint);
  await sts.setFault({ kind: "short-sessions", seconds: SESSION_SECONDS });
  stack = await startLambdaStack({
    label: "expiry",
    relayLambda: true,
    daemonArgs: ["--role-arn", ROLE],
    daemonEnv: {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    },
  });
});

afterAll(async () => {
  recordSection("credentialsExpiry", { proven, sessionSeconds: SESSION_SECONDS });
  await stack?.stop();
  await sts?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The access key id of the most recent Invoke that reached the function. */
async function lastKey(): Promise<string | null> {
  const calls = await stack.lambda.invocations();
  return calls.at(-1)?.accessKeyId ?? null;
}

const assumed = () => stack.daemon.logs.filter((l) => String(l.msg).startsWith(`assumed ${ROLE}`)).length;

describe("role credentials expire mid-run", () => {
  it("a key Lambda calls expired is replaced at once: new credentials, one retry, the request succeeds", async () => {
    const relay = stack.lambdaRelay as FaultRelay;
    const first = await stack.get(stack.url("/echo/before-expiry"));
    expect(first.status).toBe(200);
    const expiredKey = await lastKey();
    // The role's key from STS, not moto's static test key (which the daemon was not given).
    expect(expiredKey).toBeTruthy();
    expect(expiredKey).not.toBe(MOTO_ACCESS_KEY_ID);
    const assumedBefore = assumed();

    await relay.setFault({ kind: "expire", accessKeyIds: [expiredKey as string] });
    const faultedBefore = relay.faulted;
    const answer = await stack.get(stack.url("/echo/expired"));
    expect(answer.status).toBe(200);
    expect(receivedHeader(stack.upstream, "/echo/expired", "X-Api-Key")).toEqual([stack.apiKey]);
    // Exactly one Invoke was refused (the SDK does not retry ExpiredToken); the retry went out with a new key.
    expect(relay.faulted - faultedBefore).toBe(1);
    const newKey = await lastKey();
    expect(newKey).not.toBe(expiredKey);
    expect(assumed()).toBeGreaterThan(assumedBefore);
    expect(stack.daemon.logs.some((l) => String(l.msg).includes("credentials expired"))).toBe(true);
    expect(stack.alive()).toBe(true);
    proven.push(
      "expired key: one refused Invoke (ExpiredTokenException), the role re-assumed from the token file, " +
        "the request retried once with the new key and answered 200, without a restart",
    );

    // The new key keeps working for later requests.
    const later = await stack.get(stack.url("/echo/after-refresh"));
    expect(later.status).toBe(200);
    expect(await lastKey()).toBe(newKey);
  }, 40_000);

  it("neither the web identity token nor a parameter value appears in any output", async () => {
    expect(stack.daemon.output()).not.toContain(TOKEN.split(".")[1]);
    expect(stack.lambda.process.allOutput()).not.toContain(TOKEN.split(".")[1]);
    expect(await stack.leaks()).toEqual([]);
  });
});
