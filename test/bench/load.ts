/**
 * One load round with autocannon: fixed connections and duration, every scenario through this one function.
 *
 * Latency percentiles are computed here from each response's own time: autocannon's histogram keeps whole
 * milliseconds, too coarse when a proxied request takes a few of them.
 */
import autocannon from "autocannon";

export interface LoadTarget {
  /** Where autocannon connects: the upstream itself (a) or the proxy under test. */
  url: string;
  /** The request line's target: origin-form for (a), absolute-form `http://host/path` through a proxy. */
  path: string;
  headers: Record<string, string>;
}

export interface LoadFigures {
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors (timeouts included) + non-2xx answers: any of them means the scenario is not serving. */
  errors: number;
  durationS: number;
}

export interface LoadOptions {
  connections: number;
  durationS: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadFigures> {
  const latencies: number[] = [];
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: target.url,
        connections: options.connections,
        duration: options.durationS,
        // Bounded: no request may hang the round beyond its duration by much.
        timeout: 10,
        requests: [{ method: "GET", path: target.path, headers: target.headers }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  instance?.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await done;
  const sorted = Float64Array.from(latencies).sort();
  const ok = result["2xx"];
  return {
    requests: ok,
    reqPerSec: ok / result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: result.errors + result.non2xx, // autocannon counts timeouts among errors
    durationS: result.duration,
  };
}
