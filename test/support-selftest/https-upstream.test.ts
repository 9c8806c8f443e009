import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BINARY_SHA256_HEADER,
  deterministicBytes,
  type EchoResponse,
  GZIP_PLAIN_TEXT,
  type HttpsUpstream,
  startHttpsUpstream,
} from "../support/https-upstream";
import { testCa } from "../support/test-ca";

const run = promisify(execFile);

/** Sends one request with a target no URL-normalising client would send; resolves with the raw answer. */
function rawGet(upstream: HttpsUpstream, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port: upstream.port, servername: "localhost", ca: upstream.ca.caPem },
      () => {
        socket.end(`GET ${target} HTTP/1.1\r\nHost: localhost:${upstream.port}\r\nConnection: close\r\n\r\n`);
      },
    );
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("startHttpsUpstream", () => {
  let upstream: HttpsUpstream;
  let agent: Agent;
  beforeAll(async () => {
    upstream = await startHttpsUpstream();
    agent = new Agent({ connect: { ca: upstream.ca.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await upstream.stop();
  });

  const get = (path: string) => request(`${upstream.origin}${path}`, { dispatcher: agent });

  it("serves a certificate for localhost and 127.0.0.1 that curl trusts through the test CA", async () => {
    const ca = await testCa();
    for (const host of ["localhost", "127.0.0.1"]) {
      const { stdout } = await run("curl", [
        "-sS",
        "--cacert",
        ca.caFile,
        `https://${host}:${upstream.port}/status/200`,
      ]);
      expect(stdout).toBe("status 200");
    }
    expect(upstream.hostKey).toBe(`localhost_${upstream.port}`);
  });

  it("/echo answers the raw path, raw header pairs and body digest, and records the request", async () => {
    const body = Buffer.from([0, 1, 2, 255, 10]);
    const before = upstream.requests.length;
    // biome-ignore format: curl flags read best in pairs
    const { stdout } = await run("curl", [
      "-sS", "--path-as-is", "--cacert", upstream.ca.caFile, "-X", "PUT",
      "-H", "X-Dup: one", "-H", "x-dup: two", "--data-binary", "hello",
      `${upstream.origin}/echo/a%2Fb/../c?x=1&x=2&sp=%20+`,
    ]);
    expect(JSON.parse(stdout).path).toBe("/echo/a%2Fb/../c?x=1&x=2&sp=%20+");
    const res = await request(`${upstream.origin}/echo/bin?q=%2F`, {
      dispatcher: agent,
      method: "POST",
      body,
    });
    const echo = (await res.body.json()) as EchoResponse;
    expect(echo.method).toBe("POST");
    expect(echo.path).toBe("/echo/bin?q=%2F");
    expect(echo.bodyLength).toBe(5);
    expect(echo.bodySha256).toBe(createHash("sha256").update(body).digest("hex"));
    expect(Buffer.from(echo.bodyBase64, "base64")).toEqual(body);
    const curlRecord = upstream.requests[before];
    expect(curlRecord?.method).toBe("PUT");
    expect(curlRecord?.headers.filter(([name]) => name.toLowerCase() === "x-dup")).toEqual([
      ["X-Dup", "one"],
      ["x-dup", "two"],
    ]);
    expect(upstream.requests.at(-1)).toMatchObject({
      method: "POST",
      path: "/echo/bin?q=%2F",
      bodyLength: 5,
    });
  });

  it("answers any request target, however odd, and echoes it byte for byte", async () => {
    const odd = await rawGet(upstream, "/\\?api_key=x");
    expect(odd).toMatch(/^HTTP\/1\.1 404 /);
    expect(odd).toContain("no route for /\\");
    const echoed = await rawGet(upstream, "/echo//a\\b?x=%zz&y");
    const body = JSON.parse(echoed.slice(echoed.indexOf("\r\n\r\n") + 4)) as EchoResponse;
    expect(body.path).toBe("/echo//a\\b?x=%zz&y");
  });

  it("keeps connections alive: sequential requests from one client share one connection", async () => {
    const fresh = await startHttpsUpstream();
    try {
      // curl reuses its connection for several URLs on one command line.
      const urls = [0, 1, 2].map((i) => `${fresh.origin}/echo/${i}`);
      await run("curl", ["-sS", "--cacert", fresh.ca.caFile, ...urls]);
      expect(fresh.connections).toBe(1);
      expect(fresh.requests.map((r) => r.connectionId)).toEqual([1, 1, 1]);
      // Two clients that do not share a pool open two connections.
      await run("curl", ["-sS", "--cacert", fresh.ca.caFile, urls[0] as string]);
      expect(fresh.connections).toBe(2);
      expect(fresh.requests.at(-1)?.connectionId).toBe(2);
    } finally {
      await fresh.stop();
    }
  });

  it("/redirect and /redirect-loop answer 302 with Location", async () => {
    const a = await get("/redirect?to=https%3A%2F%2Fexample.com%2Fx");
    await a.body.dump();
    expect(a.statusCode).toBe(302);
    expect(a.headers.location).toBe("https://example.com/x");
    const b = await get("/redirect-loop");
    await b.body.dump();
    expect(b.headers.location).toBe("/redirect-loop");
  });

  it("/gzip, /binary, /cookies and /status/NNN", async () => {
    const gz = await get("/gzip");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).toString()).toBe(GZIP_PLAIN_TEXT);

    const bin = await get("/binary?size=100000");
    const bytes = Buffer.from(await bin.body.arrayBuffer());
    expect(bytes).toEqual(deterministicBytes(100000));
    expect(bin.headers[BINARY_SHA256_HEADER]).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(deterministicBytes(16)).not.toEqual(Buffer.alloc(16));

    const cookies = await get("/cookies");
    await cookies.body.dump();
    expect(cookies.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly"]);

    const teapot = await get("/status/418");
    expect(teapot.statusCode).toBe(418);
    expect(await teapot.body.text()).toBe("status 418");
    const noContent = await get("/status/204");
    expect(noContent.statusCode).toBe(204);
    await noContent.body.dump();
    const unknown = await get("/nope");
    expect(unknown.statusCode).toBe(404);
    expect(await unknown.body.text()).toContain("/nope");
  });

  it("/slow answers after the delay", async () => {
    const started = Date.now();
    const res = await get("/slow?ms=150");
    expect(await res.body.text()).toBe("slept 150 ms");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("/reset and /reset-mid-body break the connection", async () => {
    await expect(get("/reset")).rejects.toThrow();
    const mid = await get("/reset-mid-body");
    expect(mid.statusCode).toBe(200);
    await expect(mid.body.arrayBuffer()).rejects.toThrow();
  });

  it("stop() returns promptly even with a stalled request open", async () => {
    const fresh = await startHttpsUpstream();
    const client = new Agent({ connect: { ca: fresh.ca.caPem } });
    const stalled = request(`${fresh.origin}/stall`, { dispatcher: client });
    stalled.catch(() => {});
    while (fresh.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await fresh.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(stalled).rejects.toThrow();
    await client.destroy();
  });

  it("{ untrusted: true } presents a certificate the test CA does not vouch for", async () => {
    const bad = await startHttpsUpstream({ untrusted: true });
    const ca = await testCa();
    try {
      expect(bad.ca.caPem).not.toBe(ca.caPem);
      const failure = await run("curl", ["-sS", "--cacert", ca.caFile, `${bad.origin}/status/200`]).catch(
        (err: { code: number }) => err,
      );
      expect(failure).toMatchObject({ code: 60 }); // curl: peer certificate cannot be authenticated
      const { stdout } = await run("curl", ["-sS", "--cacert", bad.ca.caFile, `${bad.origin}/status/200`]);
      expect(stdout).toBe("status 200");
    } finally {
      await bad.stop();
    }
  });
});
