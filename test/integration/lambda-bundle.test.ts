/**
 * The built bundle (dist/lambda/index.mjs), invoked through the Lambda Invoke API exactly as the daemon invokes it,
 * against moto's Parameter Store (SecureString under a customer-managed KMS key) and real local HTTPS upstreams.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  AlbMultiValueResult,
  AlbResult,
  AlbSingleValueResult,
  ProxyRequest,
} from "../../lambda/core/proxy-request";
import { decodeResult, encodeEvent, isCodecError } from "../../lambda/wire/event-codec";
import { getFreePort } from "../support/free-port";
import {
  BINARY_SHA256_HEADER,
  deterministicBytes,
  type EchoResponse,
  GZIP_PLAIN_TEXT,
  type HttpsUpstream,
  startHttpsUpstream,
} from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { createKmsKey, seedParameters } from "../support/moto";
import { receivedHeader, SCRUB_PLACEHOLDER } from "../support/received";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";

const FUNCTION = "ssm-sign-proxy-bundle-test";
const API_KEY = "canary-apikey-7d3e1b";
const ROTATED_KEY = "canary-rotated-91ab";
const QUERY_SECRET = "very secret%!#WE^T&*";
const REWRITE = "very/%20secret%2f/path";
const EXTRA = Array.from(
  { length: 12 },
  (_, i) => [`X-Extra-${String(i).padStart(2, "0")}`, `canary-extra-${i}`] as const,
);

let prefix: string;
let upstream: HttpsUpstream;
let rotating: HttpsUpstream;
let bystander: HttpsUpstream;
let untrusted: HttpsUpstream;
let refusedPort: number;
let endpoint: LambdaInvokeEndpoint;
let lambda: LambdaClient;

function request(host: string, path: string, init: Partial<ProxyRequest> = {}): ProxyRequest {
  return {
    method: "GET",
    path,
    query: [],
    headers: [
      ["host", host],
      ["x-forwarded-for", "10.1.2.3"],
      ["connection", "keep-alive"],
    ],
    body: Buffer.alloc(0),
    ...init,
  };
}

async function invoke(event: unknown): Promise<AlbResult> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: FUNCTION, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
  if (out.FunctionError) throw new Error(`function error: ${text}`);
  return JSON.parse(text) as AlbResult;
}

async function send(req: ProxyRequest) {
  const result = await invoke(encodeEvent(req, { address: "127.0.0.1", hostname: "test-host" }));
  const response = decodeResult(result);
  if (isCodecError(response)) throw new Error(response.message);
  const header = (name: string) =>
    response.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return { result: result as AlbMultiValueResult, response, header, text: response.body.toString("utf8") };
}

/** `localhost:PORT`: what a client puts in Host for this upstream. */
function authority(server: HttpsUpstream): string {
  return new URL(server.origin).host;
}

function echoed(body: string): EchoResponse {
  return JSON.parse(body) as EchoResponse;
}

beforeAll(async () => {
  const moto = sharedMoto();
  prefix = uniquePrefix("bundle");
  [upstream, rotating, bystander, untrusted, refusedPort] = await Promise.all([
    startHttpsUpstream(),
    startHttpsUpstream(),
    startHttpsUpstream(),
    startHttpsUpstream({ untrusted: true }),
    getFreePort(),
  ]);
  const key = await createKmsKey(moto.endpoint);
  const secure: Record<string, string> = {
    [`${prefix}${upstream.hostKey}/headers/X-Api-Key`]: API_KEY,
    [`${prefix}${upstream.hostKey}/queries/api_key`]: QUERY_SECRET,
    [`${prefix}${rotating.hostKey}/headers/Authorization`]: "token canary-before-rotation",
    [`${prefix}${rotating.hostKey}/rewrite/path`]: REWRITE,
    [`${prefix}${untrusted.hostKey}/headers/X-Api-Key`]: API_KEY,
    [`${prefix}localhost_${refusedPort}/headers/X-Api-Key`]: API_KEY,
  };
  for (const [name, value] of EXTRA) secure[`${prefix}${upstream.hostKey}/headers/${name}`] = value;
  await seedParameters(moto.endpoint, secure, { type: "SecureString", keyId: key.keyId });
  endpoint = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: {
      ...moto.env,
      SSM_SIGN_PROXY_PREFIX: prefix,
      SSM_SIGN_PROXY_CACHE_TTL: "1",
      SSM_SIGN_PROXY_TIMEOUT: "2",
      NODE_EXTRA_CA_CERTS: upstream.ca.caFile,
    },
  });
  lambda = new LambdaClient({ ...moto.clientConfig, endpoint: endpoint.endpoint, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await Promise.all([
    endpoint?.stop(),
    upstream?.stop(),
    rotating?.stop(),
    bystander?.stop(),
    untrusted?.stop(),
  ]);
});

describe("the built bundle against moto SSM and HTTPS upstreams", () => {
  it("signs with SecureStrings under a custom KMS key, reading more than 10 parameters across pages", async () => {
    const { response, text } = await send(
      request(authority(upstream), "/echo/user", { query: [["page", "2"]] }),
    );
    expect(response.statusCode).toBe(200);
    // What the API received; its echo of the secrets reaches the caller scrubbed.
    expect(text).toContain(SCRUB_PLACEHOLDER);
    expect(text).not.toContain(API_KEY);
    const sent = (name: string) => receivedHeader(upstream, "/echo/user", name);
    expect(sent("X-Api-Key")).toEqual([API_KEY]);
    for (const [name, value] of EXTRA) expect(sent(name)).toEqual([value]);
    expect(sent("Host")).toEqual([authority(upstream)]);
  });

  it("sets the query secret so that it decodes back to itself, keeping the client's other pairs", async () => {
    const { text } = await send(
      request(authority(upstream), "/echo", {
        query: [
          ["page", "2"],
          ["api_key", "client"],
        ],
      }),
    );
    expect(echoed(text).path).toContain(`api_key=${SCRUB_PLACEHOLDER}`);
    const url = new URL(upstream.requests.at(-1)?.path ?? "/", "https://x");
    expect(url.searchParams.getAll("api_key")).toEqual([QUERY_SECRET]);
    expect(url.searchParams.get("page")).toBe("2");
  });

  it("rewrites the path to the raw, already-escaped value", async () => {
    const { text } = await send(request(authority(rotating), "/ignored"));
    expect(rotating.requests.at(-1)?.path).toBe(`/${REWRITE}`);
    expect(text).toBeDefined();
  });

  it("never forwards X-Forwarded-For, Connection or other hop-by-hop headers to the third party", async () => {
    const { text } = await send(request(authority(upstream), "/echo"));
    const names = echoed(text).headers.map(([n]) => n.toLowerCase());
    expect(names).not.toContain("x-forwarded-for");
    expect(names).not.toContain("via");
    expect(names.filter((n) => n === "connection")).not.toContain("keep-alive");
  });

  it("answers a single-value event in the single-value form", async () => {
    const result = (await invoke({
      httpMethod: "GET",
      path: "/echo/single",
      headers: { host: authority(upstream) },
      queryStringParameters: { a: "b%20c" },
      body: "",
      isBase64Encoded: false,
    })) as AlbSingleValueResult;
    expect(result.statusCode).toBe(200);
    expect(result.statusDescription).toBe("200 OK");
    expect("headers" in result && !("multiValueHeaders" in result)).toBe(true);
    expect(upstream.requests.at(-1)?.path).toBe(
      `/echo/single?a=b%20c&api_key=${encodeURIComponent(QUERY_SECRET).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    );
  });

  it("returns redirects to the client instead of following them with the secrets", async () => {
    const target = `${bystander.origin}/echo/stolen`;
    const { response, header } = await send(
      request(authority(upstream), "/redirect", { query: [["to", encodeURIComponent(target)]] }),
    );
    expect(response.statusCode).toBe(302);
    expect(header("location")).toEqual([target]);
    expect(bystander.requests).toHaveLength(0);
  });

  it("passes a gzip body through untouched, with its Content-Encoding", async () => {
    const { result, response, header } = await send(request(authority(upstream), "/gzip"));
    expect(result.isBase64Encoded).toBe(true);
    expect(header("content-encoding")).toEqual(["gzip"]);
    expect(gunzipSync(response.body).toString("utf8")).toBe(GZIP_PLAIN_TEXT);
  });

  it("carries binary bodies both ways byte for byte", async () => {
    const body = deterministicBytes(300_000);
    const up = await send(request(authority(upstream), "/echo/upload", { method: "POST", body }));
    expect(echoed(up.text).bodySha256).toBe(createHash("sha256").update(body).digest("hex"));
    const down = await send(request(authority(upstream), "/binary", { query: [["size", "250000"]] }));
    expect(down.response.body.length).toBe(250_000);
    expect(createHash("sha256").update(down.response.body).digest("hex")).toBe(
      down.header(BINARY_SHA256_HEADER)[0],
    );
  });

  it("refuses an answer over what an ALB accepts from a Lambda target (1 MB) only when the event came through an ALB", async () => {
    const req = request(authority(upstream), "/binary", { query: [["size", "900000"]] });
    const direct = await send(req);
    expect(direct.response.statusCode).toBe(200);
    expect(direct.response.body.length).toBe(900_000);
    const viaAlb = {
      ...encodeEvent(req),
      requestContext: {
        elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1" },
      },
    };
    const result = await invoke(viaAlb);
    expect(result.statusCode).toBe(502);
    expect(Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString()).toMatch(
      /response body exceeds \d+ bytes/,
    );
  });

  it("keeps two Set-Cookie headers as two", async () => {
    const { header } = await send(request(authority(upstream), "/cookies"));
    expect(header("set-cookie")).toHaveLength(2);
  });

  it("answers 407 for a host without parameters, naming the parameter path", async () => {
    const { response, text } = await send(request(authority(bystander), "/echo"));
    expect(response.statusCode).toBe(407);
    expect(text).toContain(`${prefix}${bystander.hostKey}/`);
    expect(bystander.requests).toHaveLength(0);
  });

  it("answers 502 naming the reason when the upstream refuses, resets, or presents an untrusted certificate", async () => {
    const refused = await send(request(`localhost:${refusedPort}`, "/"));
    expect(refused.response.statusCode).toBe(502);
    expect(refused.text).toMatch(/ECONNREFUSED/);
    const reset = await send(request(authority(upstream), "/reset"));
    expect(reset.response.statusCode).toBe(502);
    expect(reset.text).toMatch(/reset/);
    const midBody = await send(request(authority(upstream), "/reset-mid-body"));
    expect(midBody.response.statusCode).toBe(502);
    const tls = await send(request(authority(untrusted), "/echo"));
    expect(tls.response.statusCode).toBe(502);
    expect(tls.text).toMatch(/TLS|certificate/i);
    for (const r of [refused, reset, midBody, tls]) expect(r.text).not.toContain(API_KEY);
  });

  it("answers 504 when the upstream is slower than SSM_SIGN_PROXY_TIMEOUT", async () => {
    const slow = await send(request(authority(upstream), "/slow", { query: [["ms", "4000"]] }));
    expect(slow.response.statusCode).toBe(504);
    expect(slow.text).toMatch(/no complete answer within 2s/);
  });

  it("sees a rotated token once the cache TTL has passed, without a cold start", async () => {
    const before = await send(request(authority(rotating), "/x"));
    expect(before.response.statusCode).toBeLessThan(500);
    expect(rotating.requests.at(-1)?.headers).toContainEqual([
      "Authorization",
      "token canary-before-rotation",
    ]);
    await seedParameters(sharedMoto().endpoint, {
      [`${prefix}${rotating.hostKey}/headers/Authorization`]: `token ${ROTATED_KEY}`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await send(request(authority(rotating), "/x"));
    expect(rotating.requests.at(-1)?.headers).toContainEqual(["Authorization", `token ${ROTATED_KEY}`]);
  });

  it("never writes a parameter value, the rewritten path or a query secret to its logs", async () => {
    const logs = endpoint.process.allOutput();
    expect(logs).toMatch(/"msg":"request"/);
    for (const secret of [
      API_KEY,
      ROTATED_KEY,
      "canary-before-rotation",
      QUERY_SECRET,
      encodeURIComponent(QUERY_SECRET),
      REWRITE,
      ...EXTRA.map(([, v]) => v),
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});
