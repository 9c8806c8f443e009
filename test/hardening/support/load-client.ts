/**
 * A closed-loop load generator for the daemon: N workers on a keep-alive agent send POSTs with random bodies
 * through the proxy (absolute-form URLs, as http_proxy clients do) to the upstream's /echo, and verify every
 * answer by checksum. Also samples the daemon's peak RSS (VmHWM) from /proc.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import type { EchoResponse } from "../../support/https-upstream";

export interface LoadOptions {
  proxyPort: number;
  /** Absolute http:// URL of the upstream's /echo (what the client asks the proxy for). */
  url: string;
  requests: number;
  concurrency: number;
  /** Body size for request i: must return 0..maxBytes. */
  bodySize: (i: number) => number;
  maxBytes: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  /** Failures by cause: status code, checksum mismatch or client error. */
  errors: Record<string, number>;
  bytesSent: number;
  seconds: number;
  requestsPerSecond: number;
  maxBodyBytes: number;
  /** A few failure samples, for the assertion message. */
  samples: string[];
}

/** Log-uniform sizes from 0 to max: as many tiny bodies as huge ones per decade, so the run stays within budget. */
export function logUniform(max: number, random: () => number = Math.random): () => number {
  return () => Math.min(max, Math.floor(Math.exp(random() * Math.log(max + 1))) - 1);
}

export function uniform(max: number, random: () => number = Math.random): () => number {
  return () => Math.floor(random() * (max + 1));
}

function post(agent: Agent, options: LoadOptions, body: Buffer): Promise<{ status: number; text: string }> {
  const target = new URL(options.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port: options.proxyPort,
        method: "POST",
        path: options.url,
        headers: {
          host: target.host,
          "content-type": "application/octet-stream",
          "content-length": body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  // One random pool; each body is a random slice of it, so content differs per request and generation is free.
  const pool = randomBytes(options.maxBytes + 4096);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  let next = 0;
  let ok = 0;
  let bytesSent = 0;
  let maxBodyBytes = 0;
  const fail = (cause: string, detail: string) => {
    errors[cause] = (errors[cause] ?? 0) + 1;
    if (samples.length < 5) samples.push(`${cause}: ${detail.slice(0, 300)}`);
  };
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.requests) return;
      const size = options.bodySize(i);
      const offset = Math.floor(Math.random() * 4096);
      const body = pool.subarray(offset, offset + size);
      bytesSent += size;
      maxBodyBytes = Math.max(maxBodyBytes, size);
      try {
        const { status, text } = await post(agent, options, body);
        if (status !== 200) {
          fail(`status ${status}`, text);
          continue;
        }
        const echo = JSON.parse(text) as EchoResponse;
        const expected = createHash("sha256").update(body).digest("hex");
        if (echo.bodySha256 !== expected || echo.bodyLength !== size) fail("checksum", `size ${size}`);
        else ok++;
      } catch (error) {
        fail(`client ${(error as NodeJS.ErrnoException).code ?? "error"}`, String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: options.requests,
    ok,
    errors,
    bytesSent,
    seconds: Math.round(seconds * 10) / 10,
    requestsPerSecond: Math.round(options.requests / seconds),
    maxBodyBytes,
    samples,
  };
}

/** Peak resident set size of a process, in MiB (VmHWM: the high-water mark the kernel keeps). */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}
