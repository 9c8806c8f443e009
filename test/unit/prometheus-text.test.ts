/**
 * The daemon's Prometheus exposition (proxy-daemon/observe/prometheus.ts) writes what prom-client writes for
 * the same metrics and the same events, byte for byte: prom-client, a dev dependency only, is the oracle.
 */
import fc from "fast-check";
import * as prom from "prom-client";
import { describe, expect, it } from "vitest";
import * as ours from "../../proxy-daemon/observe/prometheus";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Event =
  | { kind: "count"; status: string; by: number }
  | { kind: "observe"; status: string; seconds: number }
  | { kind: "gauge"; up: boolean }
  | { kind: "error"; type: string };

/** The options both libraries' constructors take (prom-client's types are wider). */
interface Options {
  name: string;
  help: string;
  labelNames?: string[];
  buckets?: number[];
  registers: unknown[];
}

interface Library {
  Registry: new () => { metrics(): Promise<string>; contentType: string };
  Counter: new (options: Options) => { inc(labels?: object, value?: number): void };
  Gauge: new (options: Options) => { inc(): void; dec(): void };
  Histogram: new (options: Options) => { observe(labels: object, value: number): void };
}

async function exposition(library: Library, events: readonly Event[]): Promise<string> {
  const registry = new library.Registry();
  const registers = [registry];
  const requests = new library.Counter({
    name: "t_requests_total",
    help: "Requests \\ by status,\nper line.",
    labelNames: ["status"],
    registers,
  });
  const duration = new library.Histogram({
    name: "t_duration_seconds",
    help: "Duration.",
    labelNames: ["status"],
    buckets: BUCKETS,
    registers,
  });
  const inFlight = new library.Gauge({ name: "t_in_flight", help: "In flight.", registers });
  const errors = new library.Counter({
    name: "t_errors_total",
    help: "Errors.",
    labelNames: ["type"],
    registers,
  });
  for (const event of events) {
    if (event.kind === "count") requests.inc({ status: event.status }, event.by);
    else if (event.kind === "observe") duration.observe({ status: event.status }, event.seconds);
    else if (event.kind === "gauge") event.up ? inFlight.inc() : inFlight.dec();
    else errors.inc({ type: event.type });
  }
  return registry.metrics();
}

const status = fc.constantFrom("200", "407", "502", 'we"ird\\\nvalue');
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant("count" as const), status, by: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    kind: fc.constant("observe" as const),
    status,
    seconds: fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 60, noNaN: true })),
  }),
  fc.record({ kind: fc.constant("gauge" as const), up: fc.boolean() }),
  fc.record({ kind: fc.constant("error" as const), type: fc.constantFrom("throttled", "timeout") }),
);

describe("Prometheus text exposition", () => {
  it("matches prom-client with nothing recorded yet", async () => {
    expect(await exposition(ours as unknown as Library, [])).toBe(
      await exposition(prom as unknown as Library, []),
    );
  });

  it("matches prom-client for any sequence of requests, durations, in-flight changes and errors", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 40 }), async (events) => {
        const expected = await exposition(prom as unknown as Library, events);
        expect(await exposition(ours as unknown as Library, events)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("serves the same content type", () => {
    expect(new ours.Registry().contentType).toBe(new prom.Registry().contentType);
  });
});
