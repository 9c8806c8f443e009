/**
 * Our SigV4 signer must produce exactly the signature the AWS SDK produces for the same request: the SDK's
 * SSM client is the oracle (its request is captured before it leaves the process).
 */
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AwsCredentials, signRequest } from "../../lambda/aws-sigv4";

interface Captured {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

async function sdkSigned(
  credentials: AwsCredentials,
  region: string,
  endpoint: string,
  path: string,
): Promise<Captured> {
  let captured: Captured | undefined;
  const client = new SSMClient({
    region,
    endpoint,
    credentials,
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: {
        method: string;
        protocol: string;
        hostname: string;
        port?: number;
        path: string;
        headers: Record<string, string>;
        body: string;
      }) => {
        const url = new URL(
          `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}${request.path}`,
        );
        captured = { method: request.method, url, headers: { ...request.headers }, body: request.body };
        throw new Error("captured");
      },
    },
  });
  await client
    .send(
      new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, MaxResults: 10 }),
    )
    .catch(() => {});
  if (!captured) throw new Error("the SDK sent nothing");
  return captured;
}

function ours(
  captured: Captured,
  credentials: AwsCredentials,
  region: string,
  now: Date,
): string | undefined {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(captured.headers)) {
    const lower = name.toLowerCase();
    if (
      lower !== "authorization" &&
      lower !== "x-amz-date" &&
      lower !== "host" &&
      lower !== "x-amz-security-token"
    ) {
      headers[lower] = value;
    }
  }
  return signRequest(
    { method: captured.method, url: captured.url, headers, body: captured.body },
    credentials,
    region,
    "ssm",
    now,
  ).authorization;
}

describe("SigV4 signer", () => {
  afterEach(() => vi.useRealTimers());

  it("matches the SDK's signature, with and without a session token, on any date, path and region", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.date({
          min: new Date("2020-01-01T00:00:00Z"),
          max: new Date("2035-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.constantFrom("us-east-1", "ap-northeast-1", "eu-west-2"),
        fc.stringMatching(/^\/[a-z0-9._-]{1,20}(\/[a-z0-9._-]{1,20}){0,3}$/),
        fc.boolean(),
        fc.constantFrom("https://ssm.example.amazonaws.com", "http://127.0.0.1:5000"),
        async (date, region, path, withToken, endpoint) => {
          const now = new Date(Math.floor(date.getTime() / 1000) * 1000);
          vi.useFakeTimers({ now, toFake: ["Date"] });
          const credentials: AwsCredentials = withToken
            ? { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret/key+value", sessionToken: "token-value" }
            : { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret/key+value" };
          const captured = await sdkSigned(credentials, region, endpoint, path);
          expect(ours(captured, credentials, region, now)).toBe(captured.headers.authorization);
          vi.useRealTimers();
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("SigV4 signer on the Invoke path", () => {
  afterEach(() => vi.useRealTimers());

  it.each([
    "ssm-sign-proxy",
    "arn:aws:lambda:us-east-1:123456789012:function:ssm-sign-proxy",
    "arn:aws:lambda:us-east-1:123456789012:function:ssm-sign-proxy:live",
  ])("matches the SDK's Invoke signature for function %s (path segments escaped twice)", async (functionName) => {
    const { InvokeCommand, LambdaClient } = await import("@aws-sdk/client-lambda");
    const now = new Date("2026-11-22T05:30:00Z");
    vi.useFakeTimers({ now, toFake: ["Date"] });
    const credentials: AwsCredentials = {
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "s/k+v",
      sessionToken: "tok",
    };
    let captured: Captured | undefined;
    const client = new LambdaClient({
      region: "ap-northeast-1",
      credentials,
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: {
          method: string;
          protocol: string;
          hostname: string;
          path: string;
          headers: Record<string, string>;
          body: Uint8Array;
        }) => {
          const url = new URL(`${request.protocol}//${request.hostname}${request.path}`);
          captured = {
            method: request.method,
            url,
            headers: { ...request.headers },
            body: Buffer.from(request.body).toString("utf8"),
          };
          throw new Error("captured");
        },
      },
    });
    await client
      .send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from('{"httpMethod":"GET"}') }))
      .catch(() => {});
    if (!captured) throw new Error("the SDK sent nothing");
    // Our transport builds the URL itself: it must be the one the SDK signed.
    const ours = new URL(
      `https://lambda.ap-northeast-1.amazonaws.com/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    );
    expect(ours.pathname).toBe(captured.url.pathname);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(captured.headers)) {
      const lower = name.toLowerCase();
      if (!["authorization", "x-amz-date", "host", "x-amz-security-token"].includes(lower))
        headers[lower] = value;
    }
    const signed = signRequest(
      { method: "POST", url: ours, headers, body: captured.body },
      credentials,
      "ap-northeast-1",
      "lambda",
      now,
    );
    expect(signed.authorization).toBe(captured.headers.authorization);
  });
});
