/**
 * Embedding without a daemon: createSignedFetch and the signing Dispatcher, used from a real Node process the
 * way an app would (built package, Node's built-in fetch, undici.request, setGlobalDispatcher).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EchoResponse, HttpsUpstream } from "../support/https-upstream";
import { startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { seedParameters } from "../support/moto";
import { SCRUB_PLACEHOLDER } from "../support/received";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { assertBuilt } from "./daemon-process";
import { type ParamsFile, paramsFile } from "./params-file";

const run = promisify(execFile);
const PROBE = resolve(import.meta.dirname, "embedding-probe.mjs");
const secret = `embedded-${randomBytes(6).toString("hex")}`;

type Answer = { status: number; body: string; error?: string; cause?: string };
let upstream: HttpsUpstream;
let params: ParamsFile;

beforeAll(async () => {
  assertBuilt();
  upstream = await startHttpsUpstream();
  params = paramsFile({ [`/${upstream.hostKey}/headers/Authorization`]: `Bearer ${secret}` });
});

afterAll(async () => {
  await upstream?.stop();
  params?.remove();
});

async function probe(
  options: Record<string, unknown>,
  url: string,
  env: Record<string, string> = {},
): Promise<Record<string, Answer>> {
  const { stdout } = await run(process.execPath, [PROBE, JSON.stringify({ options, url })], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_EXTRA_CA_CERTS: upstream.ca.caFile,
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Record<string, Answer>;
}

/** Every request the upstream received under `pathPrefix` carried this Authorization. */
const receivedAuthorizations = (pathPrefix: string) =>
  new Set(
    upstream.requests
      .filter((r) => r.path.startsWith(pathPrefix))
      .flatMap((r) => r.headers.filter(([n]) => n.toLowerCase() === "authorization").map(([, v]) => v)),
  );

const authorization = (a: Answer | undefined) =>
  (JSON.parse(a?.body ?? "{}") as EchoResponse).headers
    .filter(([n]) => n.toLowerCase() === "authorization")
    .map(([, v]) => v);

describe("embedding with { local: FILE }", () => {
  let results: Record<string, Answer>;
  beforeAll(async () => {
    // An https:// URL: in-process there is no proxy in between, so the natural URL works.
    results = await probe({ local: params.path }, `${upstream.origin}/echo/embedded?x=1`);
  }, 30_000);

  it("createSignedFetch signs GETs and POSTs, keeping the path, query, headers and body", () => {
    expect(results.signedFetch?.status).toBe(200);
    const echo = JSON.parse(results.signedFetch?.body ?? "{}") as EchoResponse;
    expect(echo.path).toBe("/echo/embedded?x=1");
    // The API got the token; its echo reaches the caller scrubbed.
    expect(receivedAuthorizations("/echo/embedded")).toEqual(new Set([`Bearer ${secret}`]));
    expect(authorization(results.signedFetch)).toEqual([SCRUB_PLACEHOLDER]);
    expect(echo.headers.map(([n, v]) => [n.toLowerCase(), v])).toContainEqual(["x-client", "signed-fetch"]);
    const posted = JSON.parse(results.signedFetchPost?.body ?? "{}") as EchoResponse;
    expect(posted.method).toBe("POST");
    expect(Buffer.from(posted.bodyBase64, "base64").toString()).toBe("posted-body");
  });

  it("rejects for a host without parameters with a cause naming the parameter path to create", () => {
    // fetch reports every 407 as a network error; the SigningError cause carries the signer's reason.
    expect(results.unknownHost).toMatchObject({ error: "fetch failed", status: 407 });
    expect(results.unknownHost?.cause).toMatch(
      /^SigningError: no parameters for host no-params\.example.*\/no-params\.example\//,
    );
  });

  it("the Dispatcher works with Node's built-in fetch, undici.request and setGlobalDispatcher", () => {
    for (const key of ["builtinFetch", "undiciRequest", "globalDispatcher"]) {
      expect(results[key]?.status, key).toBe(200);
      expect(authorization(results[key]), key).toEqual([SCRUB_PLACEHOLDER]);
    }
    expect(receivedAuthorizations("/echo/embedded")).toEqual(new Set([`Bearer ${secret}`]));
  });
});

describe("embedding with { functionName }", () => {
  const moto = sharedMoto();
  const prefix = uniquePrefix("embedding");
  let lambda: LambdaInvokeEndpoint;
  let results: Record<string, Answer>;

  beforeAll(async () => {
    await seedParameters(moto.endpoint, {
      [`${prefix}${upstream.hostKey}/headers/Authorization`]: `Bearer ${secret}`,
    });
    lambda = await startLambdaInvokeEndpoint({
      functionName: "embedded-signer",
      env: { SSM_SIGN_PROXY_PREFIX: prefix, AWS_ENDPOINT_URL_SSM: moto.endpoint },
    });
    results = await probe({ functionName: "embedded-signer" }, `${upstream.origin}/echo/via-lambda`, {
      ...moto.env,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    });
  }, 60_000);

  afterAll(async () => {
    await lambda?.stop();
  });

  it("signs through the function with the default credential chain, for fetch and the Dispatcher alike", async () => {
    for (const key of ["signedFetch", "builtinFetch", "undiciRequest", "globalDispatcher"]) {
      expect(results[key]?.status, key).toBe(200);
      expect(authorization(results[key]), key).toEqual([SCRUB_PLACEHOLDER]);
    }
    expect(receivedAuthorizations("/echo/via-lambda")).toEqual(new Set([`Bearer ${secret}`]));
    expect(results.unknownHost).toMatchObject({ status: 407 });
    const calls = await lambda.invocations();
    expect(calls.filter((c) => c.invocationType === "RequestResponse").length).toBeGreaterThanOrEqual(6);
  });
});
