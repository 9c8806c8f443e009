/**
 * What ordinary servers send back of the request they received, through the daemon in both modes, against a
 * hostile upstream (support/hostile-upstream.ts):
 * - TRACE and TRACK are refused with 405 `trace-refused`, by the daemon and by the function, and never reach
 *   the upstream (which would echo the injected credentials);
 * - injected query values and a rewritten path, raw or percent-encoded, are replaced by the placeholder in
 *   Location, Content-Location, Link and Refresh, and in the body of an error answer (Express's 404 page);
 * - an upstream 101 to a request that asked for no upgrade is an immediate 502 `upstream-upgrade`;
 * - an upstream's own `x-ssm-sign-proxy-error` header never reaches the client.
 * Finally every log line, error body and /metrics is searched for the canaries.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../lambda/handler/handler";
import { DEFAULT_PLACEHOLDER } from "../../lambda/scrub/scrub-text";
import { encodeEvent } from "../../lambda/wire/event-codec";
import { startDaemonProcess } from "../e2e/daemon-process";
import { paramsFile } from "../e2e/params-file";
import { seedParameters } from "../support/moto";
import { sharedMoto } from "../support/shared-moto";
import { canariesFor, canaryValue, findLeaks } from "./support/canary";
import { recordSection } from "./support/figures";
import { type HostileUpstream, startHostileUpstream } from "./support/hostile-upstream";
import { startLambdaStack } from "./support/lambda-stack";
import { header, payloadOf, type RawResponse, rawExchange } from "./support/raw-client";

/** Query value with characters that percent-encoding changes, so raw and encoded forms differ. */
const queryValue = `CANARY-query/${randomBytes(8).toString("hex")} +x`;
const apiKey = canaryValue("header");
const rewriteSecret = canaryValue("rewrite");
const rewritePath = `/v1/${rewriteSecret}/x`;
const canaries = canariesFor([queryValue, apiKey, rewriteSecret]);

function parameters(prefix: string, port: number): Record<string, string> {
  return {
    [`${prefix}/localhost_${port}/headers/X-Api-Key`]: apiKey,
    [`${prefix}/localhost_${port}/queries/api_key`]: queryValue,
    [`${prefix}/127.0.0.1_${port}/headers/X-Api-Key`]: apiKey,
    [`${prefix}/127.0.0.1_${port}/rewrite/path`]: rewritePath,
  };
}

const figures: Record<string, Record<string, number>> = {};

afterAll(() => recordSection("reflection", { modes: Object.keys(figures), statuses: figures, leaks: 0 }));

interface Proxy {
  port: number;
  /** Everything the daemon (and in Lambda mode the function) printed. */
  output(): string;
  stop(): Promise<unknown>;
}

function scenarios(mode: "local" | "lambda", start: (upstream: HostileUpstream) => Promise<Proxy>) {
  describe(`URL reflection and TRACE, ${mode} mode`, () => {
    let upstream: HostileUpstream;
    let daemon: Proxy;
    const bodies: string[] = [];
    const seen: Record<string, number> = {};
    figures[mode] = seen;

    beforeAll(async () => {
      upstream = await startHostileUpstream();
      daemon = await start(upstream);
    });
    afterAll(async () => {
      await daemon?.stop();
      await upstream?.stop();
    });

    const send = async (name: string, method: string, host: string, target: string): Promise<RawResponse> => {
      const response = await rawExchange(
        daemon.port,
        `${method} http://${host}${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      bodies.push(response.body.toString("utf8"), JSON.stringify(response.headers));
      seen[name] = response.status;
      return response;
    };

    it.each(["TRACE", "TRACK"])("refuses %s with 405 trace-refused and never forwards it", async (method) => {
      const response = await send(method, method, `localhost:${upstream.port}`, "/anything");
      expect(response.status).toBe(405);
      expect(header(response, "x-ssm-sign-proxy-error")).toBe("trace-refused");
      expect(header(response, "allow")).toMatch(/GET/);
      expect(upstream.requests.filter((line) => line.startsWith(method))).toEqual([]);
    });

    it("replaces injected query values in Location, Content-Location, Link and Refresh of a redirect", async () => {
      const response = await send(
        "trailing-slash redirect",
        "GET",
        `localhost:${upstream.port}`,
        "/dir?page=2",
      );
      expect(response.status).toBe(301);
      // The upstream did get the secret: the test would pass vacuously otherwise.
      expect(upstream.requests.at(-1)).toContain(encodeURIComponent("CANARY-query/"));
      for (const name of ["location", "content-location", "link", "refresh"]) {
        const value = header(response, name) ?? "";
        expect(value, name).toContain(`/dir/?page=2&api_key=${DEFAULT_PLACEHOLDER}`);
      }
    });

    it("replaces a query value nested in a login wall's next= parameter", async () => {
      const response = await send("login wall", "GET", `localhost:${upstream.port}`, "/private?x=1");
      expect(response.status).toBe(302);
      expect(header(response, "location")).toMatch(/^\/login\?next=%2Fprivate%3Fx%3D1%26api_key%3D/);
      expect(header(response, "location")).toContain(DEFAULT_PLACEHOLDER);
    });

    it("replaces a rewritten path quoted by an Express-style 404 page, with a matching Content-Length", async () => {
      const response = await send("express 404", "GET", `127.0.0.1:${upstream.port}`, "/ignored");
      expect(response.status).toBe(404);
      expect(upstream.requests.at(-1)).toBe(`GET ${rewritePath}`);
      const body = response.body.toString("utf8");
      expect(body).toContain(`Cannot GET ${DEFAULT_PLACEHOLDER}`);
      expect(Number(header(response, "content-length"))).toBe(response.body.length);
    });

    it("answers an upstream 101 with an immediate 502 upstream-upgrade", async () => {
      const started = performance.now();
      const response = await send("upstream 101", "GET", `localhost:${upstream.port}`, "/upgrade");
      expect(response.status).toBe(502);
      expect(header(response, "x-ssm-sign-proxy-error")).toBe("upstream-upgrade");
      // --timeout is 10 s: an immediate answer, not the timeout.
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it("drops an upstream's own x-ssm-sign-proxy-error header", async () => {
      const response = await send("upstream marker", "GET", `localhost:${upstream.port}`, "/marker");
      expect(response.status).toBe(200);
      // Streamed and scrubbed (a value was injected), so chunked: read the payload, not the framing.
      expect(payloadOf(response).toString()).toBe("the API's own answer\n");
      expect(header(response, "x-ssm-sign-proxy-error")).toBeUndefined();
    });

    it("leaves no canary in any answer, log line or error body", () => {
      expect(findLeaks(canaries, { answers: bodies.join("\n"), output: daemon.output() })).toEqual([]);
    });
  });
}

scenarios("local", async (upstream) => {
  const params = paramsFile(parameters("", upstream.port));
  const daemon = await startDaemonProcess({
    args: ["--local", params.path, "--timeout", "10"],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
  return {
    port: daemon.port,
    output: () => daemon.output(),
    stop: async () => {
      await daemon.stop();
      params.remove();
    },
  };
});

scenarios("lambda", async (upstream) => {
  const stack = await startLambdaStack({ label: "reflection", daemonArgs: ["--timeout", "10"] });
  await seedParameters(sharedMoto().endpoint, parameters(stack.prefix, upstream.port));
  return {
    port: stack.daemon.port,
    output: () => `${stack.daemon.output()}\n${stack.lambda.process.allOutput()}`,
    stop: () => stack.stop(),
  };
});

describe("the function on its own", () => {
  it("refuses TRACE and TRACK with 405 before reading any parameter", async () => {
    const calls: string[] = [];
    const handler = createHandler({
      source: {
        getParametersByPath: async (path) => {
          calls.push(path);
          return [];
        },
      },
      log: () => {},
    });
    for (const method of ["TRACE", "track"]) {
      const result = await handler(
        encodeEvent({
          method,
          path: "/",
          query: [],
          headers: [["host", "api.example.com"]],
          body: Buffer.alloc(0),
        }),
      );
      expect(result.statusCode).toBe(405);
      const headers = "multiValueHeaders" in result ? result.multiValueHeaders : {};
      expect(headers["x-ssm-sign-proxy-error"]).toEqual(["trace-refused"]);
    }
    expect(calls).toEqual([]);
  });
});
