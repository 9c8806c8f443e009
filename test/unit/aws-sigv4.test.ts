/**
 * Our SigV4 signer must produce exactly the signature the AWS SDK produces for the same request: the SDK's own
 * clients are the oracle (their signed request is captured before it leaves the process).
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AwsCredentials, signRequest } from "../../lambda/aws/sigv4";

interface Captured {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** A request handler that records the SDK's signed request and stops it there. */
function capturingHandler() {
  let captured: Captured | undefined;
  return {
    requestHandler: {
      handle: async (request: SdkRequest) => {
        const port = request.port ? `:${request.port}` : "";
        captured = {
          method: request.method,
          url: new URL(`${request.protocol}//${request.hostname}${port}${request.path}`),
          headers: { ...request.headers },
          body: typeof request.body === "string" ? request.body : Buffer.from(request.body).toString("utf8"),
        };
        throw new Error("captured");
      },
    },
    captured(): Captured {
      if (!captured) throw new Error("the SDK sent nothing");
      return captured;
    },
  };
}

/** Signs what the SDK sent with our signer: its headers, less the ones the signer adds itself. */
function ours(
  captured: Captured,
  credentials: AwsCredentials,
  region: string,
  service: string,
  now: Date,
  url: URL = captured.url,
): string | undefined {
  const added = new Set(["authorization", "x-amz-date", "host", "x-amz-security-token"]);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(captured.headers)) {
    if (!added.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  return signRequest(
    { method: captured.method, url, headers, body: captured.body },
    credentials,
    region,
    service,
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
          const capture = capturingHandler();
          const client = new SSMClient({
            region,
            endpoint,
            credentials,
            maxAttempts: 1,
            requestHandler: capture.requestHandler,
          });
          await client
            .send(
              new GetParametersByPathCommand({
                Path: path,
                Recursive: true,
                WithDecryption: true,
                MaxResults: 10,
              }),
            )
            .catch(() => {});
          const captured = capture.captured();
          expect(ours(captured, credentials, region, "ssm", now)).toBe(captured.headers.authorization);
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
    const now = new Date("2026-11-22T05:30:00Z");
    vi.useFakeTimers({ now, toFake: ["Date"] });
    const credentials: AwsCredentials = {
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "s/k+v",
      sessionToken: "tok",
    };
    const capture = capturingHandler();
    const client = new LambdaClient({
      region: "ap-northeast-1",
      credentials,
      maxAttempts: 1,
      requestHandler: capture.requestHandler,
    });
    await client
      .send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from('{"httpMethod":"GET"}') }))
      .catch(() => {});
    const captured = capture.captured();
    // Our transport builds the URL itself: it must be the one the SDK signed.
    const url = new URL(
      `https://lambda.ap-northeast-1.amazonaws.com/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    );
    expect(url.pathname).toBe(captured.url.pathname);
    expect(ours(captured, credentials, "ap-northeast-1", "lambda", now, url)).toBe(
      captured.headers.authorization,
    );
  });
});
