/**
 * What the function itself spends per request with a warm cache, upstream excluded: the pure steps the handler
 * runs around the upstream call (lambda/handler.ts), in the same order, timed with process.cpuUsage.
 *
 * createHandler cannot be used as is: its upstream client dials HTTPS, so any per-request figure from it would be
 * mostly TLS and sockets. The request and answer are shaped like a typical API call through the daemon.
 */

import { requestHeadersForUpstream, responseHeadersForClient } from "../../lambda/core/header-filter";
import { isHostError, parseHost } from "../../lambda/core/host-key";
import type { ProxyResponse } from "../../lambda/core/proxy-request";
import { ExpirableCache } from "../../lambda/parameters/expirable-cache";
import { hostPath, normalizePrefix } from "../../lambda/parameters/parameter-path";
import { applyRules, requestTarget } from "../../lambda/signing/signer";
import { type ParsedRules, parseRules } from "../../lambda/signing/signing-rules";
import { decodeEvent, encodeEvent, encodeResult, isCodecError } from "../../lambda/wire/event-codec";

export interface HandlerCpu {
  iterations: number;
  /** user+system CPU per request for the pure steps. */
  microsPerRequest: number;
  /** The same plus serialising the per-request JSON log line, which the handler also does. */
  microsPerRequestWithLog: number;
  /** The same plus the runtime's JSON.parse of the event and JSON.stringify of the result: all Lambda bills. */
  microsPerRequestBilled: number;
}

type Extent = "pure" | "log" | "billed";

const event = encodeEvent(
  {
    method: "GET",
    path: "/repos/shogo82148/ssm-sign-proxy/issues",
    query: [
      ["state", "open"],
      ["per_page", "50"],
    ],
    headers: [
      ["Host", "api.github.com"],
      ["User-Agent", "curl/8.5.0"],
      ["Accept", "application/vnd.github+json"],
      ["X-GitHub-Api-Version", "2022-11-28"],
      ["Proxy-Connection", "Keep-Alive"],
    ],
    body: Buffer.alloc(0),
  },
  { address: "127.0.0.1", hostname: "build-host-1", mode: "lambda" },
);

const upstreamAnswer: ProxyResponse = {
  statusCode: 200,
  headers: [
    ["Content-Type", "application/json; charset=utf-8"],
    ["Cache-Control", "private, max-age=60, s-maxage=60"],
    ["ETag", 'W/"5a7f1c0e3b"'],
    ["X-RateLimit-Limit", "5000"],
    ["X-RateLimit-Remaining", "4987"],
    ["Connection", "keep-alive"],
    ["Date", "Mon, 01 Jan 2024 00:00:00 GMT"],
  ],
  body: Buffer.from(
    JSON.stringify({ items: Array.from({ length: 4 }, (_, i) => ({ id: i, title: `issue ${i}` })) }),
  ),
};

const eventText = JSON.stringify(event);

async function once(cache: ExpirableCache<string, ParsedRules>, extent: Extent): Promise<unknown> {
  // The runtime hands the handler a freshly parsed object each time; a shared one would let V8 cheat.
  const decoded = decodeEvent(extent === "billed" ? JSON.parse(eventText) : { ...event });
  if (isCodecError(decoded)) throw new Error(decoded.message);
  const host = parseHost(decoded.headers.find(([n]) => n.toLowerCase() === "host")?.[1]);
  if (isHostError(host)) throw new Error(host.message);
  const cached = await cache.get(host.key, () => Promise.reject(new Error("the cache must be warm")));
  const signed = applyRules(
    { ...decoded, headers: requestHeadersForUpstream(decoded.headers) },
    cached.value.rules,
  );
  const target = requestTarget(signed.path, signed.query);
  const result = encodeResult(
    { ...upstreamAnswer, headers: responseHeadersForClient(upstreamAnswer.headers) },
    decoded.multiValue,
  );
  if (extent === "billed") JSON.stringify(result);
  if (extent !== "pure") {
    return JSON.stringify({
      time: new Date().toISOString(),
      level: "info",
      msg: "request",
      method: decoded.method,
      path: decoded.path,
      host: host.authority,
      status: result.statusCode,
      cache: cached.outcome,
      applied: cached.value.rules.kinds,
      caller: decoded.caller,
      totalMs: 1.2,
      upstreamMs: 1.0,
      target: target.length,
    });
  }
  return result;
}

async function measure(iterations: number, extent: Extent): Promise<number> {
  const path = hostPath(normalizePrefix("/prod"), "api.github.com");
  const cache = new ExpirableCache<string, ParsedRules>({
    ttlMs: 3_600_000,
    negativeTtlMs: 30_000,
    isNegative: (p) => p.rules.kinds.length === 0,
  });
  await cache.get("api.github.com", async () =>
    parseRules(path, [{ name: `${path}/headers/Authorization`, value: `token ${"x".repeat(40)}` }]),
  );
  // Warm-up: let V8 optimise before the clock starts.
  for (let i = 0; i < 20_000; i++) await once(cache, extent);
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await once(cache, extent);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

export async function measureHandlerCpu(iterations = 100_000): Promise<HandlerCpu> {
  return {
    iterations,
    microsPerRequest: await measure(iterations, "pure"),
    microsPerRequestWithLog: await measure(iterations, "log"),
    microsPerRequestBilled: await measure(iterations, "billed"),
  };
}
