/**
 * The statuses the function answers itself, before any upstream is dialled. Runs the handler in-process with an
 * in-memory ParameterSource (our own interface, not the SDK): SSM behaviour proper is covered against moto in
 * test/integration.
 */
import { describe, expect, it } from "vitest";
import type { AlbMultiValueResult, AlbSingleValueResult } from "../../lambda/core/proxy-request";
import { createHandler } from "../../lambda/handler/handler";
import {
  type Parameter,
  type ParameterSource,
  ParameterSourceError,
} from "../../lambda/parameters/parameter-source";
import { encodeEvent } from "../../lambda/wire/event-codec";

const CANARY = "canary-SECRET-4f1c";

class MemorySource implements ParameterSource {
  calls: string[] = [];
  failure: ParameterSourceError | undefined;
  constructor(readonly parameters: Parameter[]) {}
  async getParametersByPath(path: string): Promise<Parameter[]> {
    this.calls.push(path);
    if (this.failure) throw this.failure;
    return this.parameters.filter((p) => p.name.startsWith(`${path}/`));
  }
}

function setup(parameters: Parameter[] = [], prefix = "/prod/") {
  const source = new MemorySource(parameters);
  const lines: string[] = [];
  const handler = createHandler({ source, prefix, log: (line) => lines.push(JSON.stringify(line)) });
  return { source, lines, handler };
}

function event(host: string, path = "/") {
  return encodeEvent({ method: "GET", path, query: [], headers: [["host", host]], body: Buffer.alloc(0) });
}

function text(result: AlbMultiValueResult | AlbSingleValueResult): string {
  return result.isBase64Encoded ? Buffer.from(result.body, "base64").toString() : result.body;
}

describe("handler: statuses it answers itself", () => {
  it("407 for a host without parameters, naming the host and the parameter path; negative-cached", async () => {
    const { handler, source } = setup();
    const result = (await handler(event("unknown.example.com"))) as AlbMultiValueResult;
    expect(result.statusCode).toBe(407);
    expect(result.statusDescription).toBe("407 Proxy Authentication Required");
    expect(text(result)).toMatch(
      /no parameters for host unknown\.example\.com: create one under \/prod\/unknown\.example\.com\//,
    );
    await handler(event("unknown.example.com"));
    expect(source.calls).toEqual(["/prod/unknown.example.com"]);
  });

  it("407 for a host whose only parameters have a typo'd kind names them and the kinds that exist, not the value", async () => {
    const { handler } = setup([{ name: "/prod/api.example.com/header/X-Api-Key", value: CANARY }]);
    const body = text(await handler(event("api.example.com")));
    expect(body).toContain(
      "ignored /prod/api.example.com/header/X-Api-Key (unknown kind: expected headers, basic,",
    );
    expect(body).not.toContain(CANARY);
  });

  it("marks its own answers with their refusal code, in the marker header and the request log line", async () => {
    const { handler, lines } = setup();
    const result = (await handler(event("unknown.example.com"))) as AlbMultiValueResult;
    expect(result.multiValueHeaders["x-ssm-sign-proxy-error"]).toEqual(["no-parameters"]);
    const line = JSON.parse(lines.find((l) => l.includes('"msg":"request"')) ?? "{}");
    expect(line).toMatchObject({ status: 407, code: "no-parameters" });
  });

  it("407 without asking the source when no prefix is set and the host begins with aws or ssm", async () => {
    const source = new MemorySource([]);
    const handler = createHandler({ source, prefix: "", log: () => {} });
    const result = await handler(event("ssm.example.com"));
    expect(result.statusCode).toBe(407);
    expect(text(result)).toMatch(/cannot begin with "aws" or "ssm".*SSM_SIGN_PROXY_PREFIX/);
    expect(source.calls).toEqual([]);
    const prefixed = setup();
    expect((await prefixed.handler(event("ssm.example.com"))).statusCode).toBe(407);
    expect(prefixed.source.calls).toEqual(["/prod/ssm.example.com"]);
  });

  it("400 for an invalid Host, without asking the source", async () => {
    const { handler, source } = setup();
    for (const host of ["../etc", "a_1", "user@host", "[::1]", "x".repeat(300)]) {
      const result = await handler(event(host));
      expect(result.statusCode).toBe(400);
    }
    expect(source.calls).toEqual([]);
  });

  it("400 for a malformed event, answered in the form it came in, never a throw", async () => {
    const { handler } = setup();
    const single = await handler({ httpMethod: "GET", path: "/", headers: { a: "b\r\nc" } });
    expect(single.statusCode).toBe(400);
    expect("headers" in single).toBe(true);
    const multi = await handler({ httpMethod: "GET", path: "/", multiValueHeaders: { a: "not-an-array" } });
    expect(multi.statusCode).toBe(400);
    expect("multiValueHeaders" in multi).toBe(true);
    for (const junk of [null, 42, "x", [], { httpMethod: 1 }])
      expect((await handler(junk)).statusCode).toBe(400);
  });

  it("502 when Parameter Store denies access, naming the path and the permission", async () => {
    const { handler, source } = setup();
    source.failure = new ParameterSourceError(
      "access-denied",
      "/prod/api.example.com",
      "Parameter Store denied access to /prod/api.example.com (AccessDeniedException): the function's role needs ssm:GetParametersByPath",
    );
    const result = await handler(event("api.example.com"));
    expect(result.statusCode).toBe(502);
    expect(text(result)).toMatch(/ssm:GetParametersByPath/);
    expect(text(result)).toMatch(/\/prod\/api\.example\.com/);
  });

  it("503 with Retry-After when throttled and nothing is cached", async () => {
    const { handler, source } = setup();
    source.failure = new ParameterSourceError(
      "throttled",
      "/prod/api.example.com",
      "Parameter Store throttled reading /prod/api.example.com (ThrottlingException)",
    );
    const result = (await handler(event("api.example.com"))) as AlbMultiValueResult;
    expect(result.statusCode).toBe(503);
    expect(result.multiValueHeaders["retry-after"]).toEqual(["1"]);
  });

  it("logs one JSON line per request with names only, never a parameter value", async () => {
    const { handler, lines } = setup([
      { name: "/prod/bad.example.com/headers/Bad Header", value: CANARY },
      { name: "/prod/bad.example.com/unknown/x", value: CANARY },
    ]);
    await handler(event("bad.example.com", "/a/b"));
    const requestLines = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      host: "bad.example.com",
      method: "GET",
      path: "/a/b",
      status: 407,
      cache: "miss",
    });
    expect(lines.some((l) => l.includes("parameter ignored") && l.includes("Bad Header"))).toBe(true);
    expect(lines.join("\n")).not.toContain(CANARY);
  });
});
