/**
 * Parameters and header names that must not be taken at face value, against a --local daemon (the function's
 * code in-process) and the HTTPS test upstream:
 * - `headers/<Name>` for names the proxy owns (framing, connection, routing) is ignored with a
 *   `parameter ignored` warning naming the reason, and the request is sent as if it were absent;
 * - a `€` value is reported as non-ASCII, not as control characters; a lone surrogate in a `queries/` value
 *   (possible in a JSON file) is ignored, never thrown;
 * - a broken parameter file is reported by line and column only, never with text from the file;
 * - header names that exist on Object.prototype (`constructor`, `__proto__`, …) pass through as ordinary
 *   headers, from a client and back from the upstream, and in the function's single-value results.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEvent, encodeResult, isCodecError } from "../../lambda/wire/event-codec";
import { type DaemonProcess, startDaemonProcess } from "../e2e/daemon-process";
import { type ParamsFile, paramsFile } from "../e2e/params-file";
import { type HttpsUpstream, startHttpsUpstream, type UpstreamRequest } from "../support/https-upstream";
import { receivedRequest } from "../support/received";
import { canaryValue } from "./support/canary";
import { recordSection } from "./support/figures";
import { rawExchange } from "./support/raw-client";

const REFUSED = [
  "Host",
  "Content-Length",
  "Transfer-Encoding",
  "Connection",
  "TE",
  "Upgrade",
  "Keep-Alive",
  "Trailer",
  "Expect",
  "Proxy-Authorization",
];

let upstream: HttpsUpstream;
let params: ParamsFile;
let daemon: DaemonProcess;
const apiKey = canaryValue("header");
const hostPath = () => `/localhost_${upstream.port}`;

function values(): Record<string, string> {
  const all: Record<string, string> = {
    [`${hostPath()}/headers/X-Api-Key`]: apiKey,
    [`${hostPath()}/headers/X-Euro`]: "price-in-€uro",
    [`${hostPath()}/headers/X-Control`]: "line\r\nInjected: 1",
    [`${hostPath()}/queries/lone`]: "before-\ud800-after",
    [`${hostPath()}/queries/ok`]: "fine-value",
  };
  for (const name of REFUSED)
    all[`${hostPath()}/headers/${name}`] = name === "Content-Length" ? "999" : "chunked";
  return all;
}

beforeAll(async () => {
  upstream = await startHttpsUpstream();
  params = paramsFile("{}");
  params.write(values());
  daemon = await startDaemonProcess({
    args: ["--local", params.path, "--timeout", "5", "--log-level", "debug"],
    env: { NODE_EXTRA_CA_CERTS: upstream.ca.caFile },
  });
});
afterAll(async () => {
  recordSection("hostileParameters", { refusedHeaderNames: REFUSED.length, prototypeNames: 4 });
  await daemon?.stop();
  await upstream?.stop();
  params?.remove();
});

/** One request through the daemon, and what the upstream received (the `/echo` answer itself is scrubbed). */
async function echo(extraHeaders = ""): Promise<{ status: number; echo: UpstreamRequest; ms: number }> {
  const started = performance.now();
  const host = `localhost:${upstream.port}`;
  const before = upstream.requests.length;
  const response = await rawExchange(
    daemon.port,
    `GET http://${host}/echo/p HTTP/1.1\r\nHost: ${host}\r\n${extraHeaders}Connection: close\r\n\r\n`,
  );
  const ms = performance.now() - started;
  expect(upstream.requests.length, "the request reached the upstream").toBeGreaterThan(before);
  return { status: response.status, echo: receivedRequest(upstream, "/echo/p"), ms };
}

const ignoredWarnings = () =>
  daemon.logs.filter((line) => line.msg === "signer: parameter ignored") as Array<{
    parameter: string;
    reason: string;
  }>;

describe("hostile parameters", () => {
  it("ignores headers/<Name> for names the proxy owns, with a warning naming the reason", async () => {
    const { status, echo: seen, ms } = await echo();
    expect(status).toBe(200);
    // headers/Content-Length: 999 made a GET hang until the timeout; headers/Host re-routed it.
    expect(ms).toBeLessThan(3000);
    const names = seen.headers.map(([name]) => name.toLowerCase());
    expect(names.filter((n) => n === "host")).toEqual(["host"]);
    expect(seen.headers.find(([n]) => n.toLowerCase() === "host")?.[1]).toBe(`localhost:${upstream.port}`);
    for (const name of ["transfer-encoding", "te", "upgrade", "keep-alive", "trailer", "expect"]) {
      expect(names, name).not.toContain(name);
    }
    // Node's agent sends its own Connection: keep-alive; the parameter's value never goes out.
    const connection = seen.headers.filter(([n]) => n.toLowerCase() === "connection").map(([, v]) => v);
    expect(connection).toEqual(["keep-alive"]);
    expect(names).not.toContain("proxy-authorization");
    expect(seen.headers).toContainEqual(["X-Api-Key", apiKey]);
    const warnings = ignoredWarnings();
    for (const name of REFUSED) {
      const warning = warnings.find((w) => w.parameter === `${hostPath()}/headers/${name}`);
      expect(warning?.reason, name).toMatch(/set by the proxy/);
    }
  });

  it("reports a € value as non-ASCII and CR/LF as control characters", async () => {
    await echo();
    const reasonOf = (name: string) =>
      ignoredWarnings().find((w) => w.parameter === `${hostPath()}/headers/${name}`)?.reason;
    expect(reasonOf("X-Euro")).toMatch(/^non-ASCII value/);
    expect(reasonOf("X-Control")).toMatch(/control characters/);
  });

  it("ignores a lone surrogate in a queries/ value instead of failing every request to the host", async () => {
    const { status, echo: seen } = await echo();
    expect(status).toBe(200);
    expect(seen.path).toContain("ok=fine-value");
    expect(seen.path).not.toContain("lone=");
    const warning = ignoredWarnings().find((w) => w.parameter === `${hostPath()}/queries/lone`);
    expect(warning?.reason).toMatch(/not well-formed Unicode/);
  });

  it("passes header names that exist on Object.prototype through as ordinary headers", async () => {
    const { status, echo: seen } = await echo(
      "constructor: c-value\r\n__proto__: p-value\r\ntoString: t-value\r\nhasOwnProperty: h-value\r\n",
    );
    expect(status).toBe(200);
    const lower = seen.headers.map(([n, v]): [string, string] => [n.toLowerCase(), v]);
    expect(lower).toContainEqual(["constructor", "c-value"]);
    expect(lower).toContainEqual(["__proto__", "p-value"]);
    expect(lower).toContainEqual(["tostring", "t-value"]);
    expect(lower).toContainEqual(["hasownproperty", "h-value"]);
  });

  it("reads such names as ordinary headers from an event, multi-value and single-value", () => {
    for (const json of [
      '{"httpMethod":"GET","path":"/","multiValueHeaders":{"host":["a.example"],"__proto__":["p-value"],"constructor":["c-value"]}}',
      '{"httpMethod":"GET","path":"/","headers":{"host":"a.example","__proto__":"p-value","constructor":"c-value"}}',
    ]) {
      const decoded = decodeEvent(JSON.parse(json));
      if (isCodecError(decoded)) throw new Error(decoded.message);
      expect(decoded.headers).toContainEqual(["__proto__", "p-value"]);
      expect(decoded.headers).toContainEqual(["constructor", "c-value"]);
    }
  });

  it("keeps such names as ordinary keys in a single-value ALB result", () => {
    const result = encodeResult(
      {
        statusCode: 200,
        headers: [
          ["__proto__", "p-value"],
          ["constructor", "c-value"],
        ],
        body: Buffer.from("ok"),
      },
      false,
    );
    const headers = "headers" in result ? result.headers : {};
    // A literal `{ __proto__: … }` would set the prototype: the expectation is parsed, as the wire would be.
    expect(JSON.stringify(headers)).toBe('{"__proto__":"p-value","constructor":"c-value"}');
    expect(Object.keys(headers)).toEqual(["__proto__", "constructor"]);
  });
});

describe("a broken parameter file", () => {
  const canary = canaryValue("broken");
  const broken = `{\n  "/api.example.com/headers/X-Api-Key": ${canary}\n}\n`;

  it("is reported by line and column when an edit breaks it, never with its text", async () => {
    params.write(broken);
    // The watcher may also see the file half-written (empty): wait for the warning about the whole edit.
    const warning = await daemon.waitForLog(
      (line) =>
        line.msg === "parameter file is broken; keeping the last good contents" &&
        /line 2/.test(String(line.error)),
    );
    expect(String(warning.error)).toMatch(/not valid JSON at line 2, column 41/);
    // The last good contents keep working.
    expect((await echo()).status).toBe(200);
    expect(daemon.output()).not.toContain(canary.slice(-16));
    params.write(values());
  });

  it("is reported by line and column at start-up, never with its text", async () => {
    const file = paramsFile(broken);
    try {
      const child = await startDaemonProcess({ args: ["--local", file.path], expectExit: true });
      expect(await child.exited).not.toBe(0);
      expect(child.output()).toMatch(/not valid JSON at line 2, column 41/);
      expect(child.output()).not.toContain(canary.slice(-16));
      // Node's own message quotes the text: prove that is what would have been shown.
      expect(() => JSON.parse(broken)).toThrow(/CANARY|broken/);
    } finally {
      file.remove();
    }
  });
});
