/**
 * Drop-in migration, function first: the original Go daemon's events, byte for byte as it builds them
 * (fixtures/go-daemon-event.ts), run through the built bundle (dist/lambda/index.mjs) behind the local Invoke
 * endpoint, against moto's Parameter Store and a recording HTTPS upstream. The API must receive exactly the
 * path and raw query asserted here; a real ALB event and our own daemon's events keep their handling.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlbMultiValueResult } from "../../lambda/core/proxy-request";
import { splitQuery } from "../../lambda/core/query-syntax";
import { encodeEvent } from "../../lambda/wire/event-codec";
import { type EchoResponse, type HttpsUpstream, startHttpsUpstream } from "../support/https-upstream";
import { type LambdaInvokeEndpoint, startLambdaInvokeEndpoint } from "../support/lambda-invoke-endpoint";
import { seedParameters } from "../support/moto";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";
import { goDaemonEvent } from "./fixtures/go-daemon-event";

const FUNCTION = "ssm-sign-proxy-go-events";
const API_KEY = "canary-go-apikey-51c0";
const QUERY_SECRET = "canary go&secret=+%";
const REWRITE = "/services/T0/B0/XXX?foo=bar&flag";

let upstream: HttpsUpstream;
let queried: HttpsUpstream;
let rewritten: HttpsUpstream;
let endpoint: LambdaInvokeEndpoint;
let lambda: LambdaClient;

async function invoke(payload: string): Promise<AlbMultiValueResult> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: Buffer.from(payload) }));
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8");
  if (out.FunctionError) throw new Error(`function error: ${text}`);
  return JSON.parse(text) as AlbMultiValueResult;
}

function authority(server: HttpsUpstream): string {
  return new URL(server.origin).host;
}

/** What the API received last: the request target exactly as it came on the wire. */
function lastTarget(server: HttpsUpstream): string | undefined {
  return server.requests.at(-1)?.path;
}

beforeAll(async () => {
  const moto = sharedMoto();
  const prefix = uniquePrefix("go-events");
  [upstream, queried, rewritten] = await Promise.all([
    startHttpsUpstream(),
    startHttpsUpstream(),
    startHttpsUpstream(),
  ]);
  await seedParameters(moto.endpoint, {
    [`${prefix}${upstream.hostKey}/headers/X-Api-Key`]: API_KEY,
    [`${prefix}${queried.hostKey}/queries/api_key`]: QUERY_SECRET,
    [`${prefix}${rewritten.hostKey}/rewrite/path`]: REWRITE,
  });
  endpoint = await startLambdaInvokeEndpoint({
    functionName: FUNCTION,
    env: { ...moto.env, SSM_SIGN_PROXY_PREFIX: prefix, SSM_SIGN_PROXY_TIMEOUT: "5" },
  });
  lambda = new LambdaClient({ ...moto.clientConfig, endpoint: endpoint.endpoint, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await Promise.all([endpoint?.stop(), upstream?.stop(), queried?.stop(), rewritten?.stop()]);
});

// [what the client sent after `?`, what the API must receive after `?`]
const QUERIES: Array<[client: string, api: string]> = [
  ["sp=a%20b", "sp=a%20b"],
  ["sp=a+b", "sp=a%20b"],
  ["amp=x%26y%3Dz", "amp=x%26y%3Dz"],
  ["plus=1%2B1", "plus=1%2B1"],
  ["utf=caf%C3%A9", "utf=caf%C3%A9"],
  ["utf=caf%c3%a9", "utf=caf%C3%A9"],
  ["raw=café", "raw=caf%C3%A9"],
  ["emoji=%F0%9F%94%91", "emoji=%F0%9F%94%91"],
  // Go sorts the keys; each key's values keep their order.
  ["b=2&a=1&b=1", "a=1&b=2&b=1"],
  // Go's url.Values cannot tell `flag` from `flag=`: both are sent as `flag=`, as the original function did.
  ["e=&flag", "e=&flag="],
  ["k%20ey=v%3D", "k%20ey=v%3D"],
  ["=v&a=1", "=v&a=1"],
  ["pct=100%25", "pct=100%25"],
  ["lone=%3D%3D", "lone=%3D%3D"],
  ["unreserved=a~b-c_d.e", "unreserved=a~b-c_d.e"],
  ["sub=!*'()$,", "sub=%21%2A%27%28%29%24%2C"],
  ["slash=a/b?c:d@e", "slash=a%2Fb%3Fc%3Ad%40e"],
  ["crlf=%0D%0AX-Injected:%20yes", "crlf=%0D%0AX-Injected%3A%20yes"],
  ["nul=%00", "nul=%00"],
  ["hash=%23frag", "hash=%23frag"],
  ["html=%3Cscript%3E", "html=%3Cscript%3E"],
  // Go drops a pair with a malformed escape or a `;`, and keeps the rest.
  ["bad=%ZZ&ok=1", "ok=1"],
  ["semi=a;b&ok=1", "ok=1"],
  // Go's JSON turns bytes that are not UTF-8 into U+FFFD, one per byte: the original byte is gone.
  ["inv=%FF", "inv=%EF%BF%BD"],
  ["trunc=%E2%9C", "trunc=%EF%BF%BD%EF%BF%BD"],
];

describe("events from the original Go daemon (requestContext.instance)", () => {
  it.each(QUERIES)("?%s reaches the API as ?%s", async (client, api) => {
    const result = await invoke(
      goDaemonEvent({
        url: `http://${authority(upstream)}/echo/go/a%20b%2Fc?${client}`,
        headers: { "user-agent": ["curl/8.5.0"], accept: ["*/*"] },
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(lastTarget(upstream)).toBe(`/echo/go/a%20b%2Fc?${api}`);
  });

  it("a request without a query reaches the API without `?`, signed, answered in the multi-value form", async () => {
    const result = await invoke(goDaemonEvent({ url: `http://${authority(upstream)}/echo/plain` }));
    expect(result.statusCode).toBe(200);
    expect(result.multiValueHeaders).toBeDefined();
    expect(lastTarget(upstream)).toBe("/echo/plain");
    const sent = upstream.requests.at(-1)?.headers ?? [];
    expect(sent.filter(([n]) => n.toLowerCase() === "x-api-key").map(([, v]) => v)).toEqual([API_KEY]);
    // The Go daemon adds X-Forwarded-For; the function never forwards it.
    expect(sent.some(([n]) => n.toLowerCase() === "x-forwarded-for")).toBe(false);
  });

  it("a POST body arrives byte for byte, text or binary", async () => {
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    for (const body of [Buffer.from('{"text":"caf\u00e9 & <b>"}'), binary]) {
      const result = await invoke(
        goDaemonEvent({ method: "POST", url: `http://${authority(upstream)}/echo/body`, body }),
      );
      expect(result.statusCode).toBe(200);
      const echo = JSON.parse(result.body) as EchoResponse;
      expect(Buffer.from(echo.bodyBase64, "base64").equals(body)).toBe(true);
    }
  });

  it("the client's pair named like a queries/ parameter is replaced; the others are re-encoded", async () => {
    await invoke(
      goDaemonEvent({ url: `http://${authority(queried)}/echo/q?x=a+b%26c&api_key=client&api_key=again` }),
    );
    const secret = encodeURIComponent(QUERY_SECRET).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    expect(lastTarget(queried)).toBe(`/echo/q?x=a%20b%26c&api_key=${secret}`);
    expect(new URL(lastTarget(queried) ?? "", "https://x").searchParams.getAll("api_key")).toEqual([
      QUERY_SECRET,
    ]);
  });

  it("a rewrite/path value's query is added to the client's query", async () => {
    await invoke(goDaemonEvent({ url: `http://${authority(rewritten)}/ignored?text=hi+there` }));
    expect(lastTarget(rewritten)).toBe("/services/T0/B0/XXX?text=hi%20there&foo=bar&flag");
  });

  it("logs the old daemon's instance as the caller, marked go-daemon", async () => {
    await invoke(
      goDaemonEvent({
        url: `http://${authority(upstream)}/echo/audit-go`,
        instance: { instance_id: "i-0feedface0000000", hostname: "old-host" },
      }),
    );
    await expect
      .poll(() => endpoint.process.stdout.find((l) => l.includes('"/echo/audit-go"')))
      .toBeDefined();
    const line = JSON.parse(endpoint.process.stdout.find((l) => l.includes('"/echo/audit-go"')) ?? "{}");
    expect(line.caller).toEqual({
      mode: "go-daemon",
      instanceId: "i-0feedface0000000",
      hostname: "old-host",
    });
  });
});

describe("the other event sources keep their handling", () => {
  it("an ALB event's values are wire text, used as sent; an empty value keeps its `=`", async () => {
    const result = await invoke(
      JSON.stringify({
        requestContext: {
          elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0" },
        },
        httpMethod: "GET",
        path: "/echo/alb",
        multiValueQueryStringParameters: { sp: ["a%20b"], amp: ["x%26y"], e: [""] },
        multiValueHeaders: { host: [authority(upstream)] },
        body: "",
        isBase64Encoded: false,
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(lastTarget(upstream)).toBe("/echo/alb?sp=a%20b&amp=x%26y&e=");
  });

  it("our daemon's event reaches the API with the client's exact query: order, `flag` and `e=` kept", async () => {
    const raw = "z=1&flag&e=&sp=a%20b&amp=x%26y%3Dz&z=0";
    const event = encodeEvent(
      {
        method: "GET",
        path: "/echo/ours",
        query: splitQuery(raw),
        headers: [["Host", authority(upstream)]],
        body: Buffer.alloc(0),
      },
      { hostname: "new-host", mode: "lambda" },
    );
    const result = await invoke(JSON.stringify(event));
    expect(result.statusCode).toBe(200);
    expect(lastTarget(upstream)).toBe(`/echo/ours?${raw}`);
  });
});
