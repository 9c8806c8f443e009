/**
 * The upstream client alone, two ways (for choosing one, not a test): node:https with the function's keep-alive
 * agent settings vs undici's Pool, each sending the same GET to the bench's HTTPS upstream (its own process) with
 * 32 requests in flight, buffering the whole answer as the signing core does. Prints CPU µs per request of this
 * process, which is all client-side work: `npx tsx test/bench/upstream-client-cpu.ts`.
 */

import { mkdtempSync, readFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { startUpstream } from "./scenarios";

const REQUESTS = Number(process.env.UPSTREAM_CPU_REQUESTS ?? 20_000);
const IN_FLIGHT = 32;
const upstream = await startUpstream(mkdtempSync(join(tmpdir(), "sign-proxy-upstream-cpu-")));
const ca = readFileSync(upstream.caFile);
const headers = { "x-api-key": "bench-token-0123456789abcdef", accept: "application/json" };

const agent = new https.Agent({
  keepAlive: true,
  maxSockets: 256,
  maxFreeSockets: 256,
  scheduling: "lifo",
  ca,
});
function viaHttps(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        agent,
        host: "localhost",
        port: upstream.port,
        path: "/echo",
        method: "GET",
        headers: { host: `localhost:${upstream.port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).length));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const pool = new Pool(`https://localhost:${upstream.port}`, { connections: 256, connect: { ca } });
async function viaUndici(): Promise<number> {
  const res = await pool.request({ path: "/echo", method: "GET", headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return body.length;
}

async function measure(name: string, send: () => Promise<number>): Promise<void> {
  const run = async (total: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < total) await send();
      }),
    );
  };
  await run(2_000); // warm-up: JIT and connections
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(REQUESTS);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const micros = (used.user + used.system) / REQUESTS;
  console.log(
    JSON.stringify({
      client: name,
      cpuMicrosPerRequest: Math.round(micros),
      reqPerSecond: Math.round(REQUESTS / seconds),
    }),
  );
}

try {
  for (let round = 0; round < 2; round++) {
    await measure("node:https", viaHttps);
    await measure("undici Pool", viaUndici);
  }
} finally {
  agent.destroy();
  await pool.close();
  await upstream.service.stop();
}
