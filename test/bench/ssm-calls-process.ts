/**
 * SSM calls per 10k requests, in steady state: the real handler (createHandler) in-process, its parameter source
 * wrapped to count GetParametersByPath calls, requests answered by the bench's HTTPS upstream.
 *
 * Time is simulated: Date.now (what the cache reads) is advanced by duration/requests per request, so 10k requests
 * can stand for an hour of traffic without taking one. Requests go out in concurrent batches, so the cache's
 * one-load-per-key sharing is exercised at every expiry too.
 *
 * Run as a child with NODE_EXTRA_CA_CERTS (the upstream's CA); argv: upstream port. Prints one JSON line.
 */

import { createHandler } from "../../lambda/handler/handler";
import type { Parameter, ParameterSource } from "../../lambda/parameters/parameter-source";
import { encodeEvent } from "../../lambda/wire/event-codec";

const port = Number(process.argv[2]);
const REQUESTS = 10_000;
const CONCURRENCY = 16;
const TTL_SECONDS = 60;
const SIMULATED_SECONDS = 600;
// Two API hosts that both reach the one upstream (its certificate names both): two cache keys.
const hosts = [`localhost:${port}`, `127.0.0.1:${port}`];

const params: Parameter[] = hosts.map((h) => ({
  name: `/bench/${h.replace(":", "_")}/headers/X-Api-Key`,
  value: "bench-secret",
}));
let calls = 0;
const source: ParameterSource = {
  async getParametersByPath(path) {
    calls += 1;
    return params.filter((p) => p.name.startsWith(`${path}/`));
  },
};

// Frozen between steps: real seconds spent serving (many on a busy machine) must not leak into simulated time.
let offsetMs = 0;
const origin = Date.now();
Date.now = () => origin + offsetMs;

const handler = createHandler({
  source,
  prefix: "bench",
  cacheTtlSeconds: TTL_SECONDS,
  timeoutSeconds: 10,
  log: () => {},
});

const step = (SIMULATED_SECONDS * 1000) / REQUESTS;
let failures = 0;
for (let sent = 0; sent < REQUESTS; sent += CONCURRENCY) {
  const batch = [];
  for (let i = 0; i < CONCURRENCY && sent + i < REQUESTS; i++) {
    const host = hosts[(sent + i) % hosts.length] as string;
    const event = encodeEvent({
      method: "GET",
      path: "/echo",
      query: [],
      headers: [["Host", host]],
      body: Buffer.alloc(0),
    });
    batch.push(handler(event).then((r) => r.statusCode));
  }
  for (const status of await Promise.all(batch)) if (status !== 200) failures += 1;
  offsetMs += step * CONCURRENCY;
}
const expected = hosts.length * Math.ceil(SIMULATED_SECONDS / TTL_SECONDS);
process.stdout.write(
  `${JSON.stringify({ requests: REQUESTS, hosts: hosts.length, ttlSeconds: TTL_SECONDS, simulatedSeconds: SIMULATED_SECONDS, concurrency: CONCURRENCY, calls, expected, failures })}\n`,
);
process.exit(0);
