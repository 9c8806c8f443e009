/**
 * The Prometheus text exposition format (version 0.0.4) for the daemon's four metrics: counters, a gauge and
 * a histogram, with labels. A file of our own instead of prom-client, whose dependency tree (bintrees'
 * test data, OpenTelemetry's API) was 4.6 MB of the 30 MB the daemon package may take when installed.
 * The API is the subset of prom-client's that the daemon uses, so call sites read the same.
 */

export type Labels<T extends string> = Partial<Record<T, string | number>>;

interface Metric {
  /** `# HELP`, `# TYPE` and the sample lines, without a trailing newline. */
  render(): string;
}

interface MetricOptions<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  registers?: readonly Registry[];
}

export class Registry {
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  private readonly entries: Metric[] = [];

  registerMetric(metric: Metric): void {
    this.entries.push(metric);
  }

  /** Async like prom-client's, so a collector that has to wait can be added without changing callers. */
  async metrics(): Promise<string> {
    return `${this.entries.map((metric) => metric.render()).join("\n\n")}\n`;
  }
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** `{a="1",b="2"}` in the order given, or nothing for no labels. */
function labelText(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return "";
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

abstract class LabelledMetric<T extends string, Sample> implements Metric {
  protected readonly samples = new Map<string, { pairs: [string, string][]; sample: Sample }>();
  protected readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly T[];

  constructor(
    private readonly type: "counter" | "gauge" | "histogram",
    options: MetricOptions<T>,
  ) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const registry of options.registers ?? []) registry.registerMetric(this);
  }

  protected abstract emptySample(): Sample;
  protected abstract sampleLines(pairs: [string, string][], sample: Sample): string[];

  protected sampleFor(labels: Labels<T> = {}): Sample {
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name as T)) throw new Error(`${this.name}: unknown label ${name}`);
    }
    const pairs = this.labelNames
      .filter((name) => labels[name] !== undefined)
      .map((name): [string, string] => [name, String(labels[name])]);
    const key = JSON.stringify(pairs);
    let entry = this.samples.get(key);
    if (!entry) {
      entry = { pairs, sample: this.emptySample() };
      this.samples.set(key, entry);
    }
    return entry.sample;
  }

  render(): string {
    // Like prom-client: a metric without labels shows its zero before anything happened.
    if (this.samples.size === 0 && this.labelNames.length === 0) this.sampleFor();
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { pairs, sample } of this.samples.values()) lines.push(...this.sampleLines(pairs, sample));
    return lines.join("\n");
  }
}

class ValueMetric<T extends string> extends LabelledMetric<T, { value: number }> {
  protected emptySample() {
    return { value: 0 };
  }

  protected sampleLines(pairs: [string, string][], sample: { value: number }): string[] {
    return [`${this.name}${labelText(pairs)} ${formatValue(sample.value)}`];
  }

  protected add(
    labelsOrValue: Labels<T> | number | undefined,
    value: number | undefined,
    sign: 1 | -1,
  ): void {
    const labels = typeof labelsOrValue === "object" ? labelsOrValue : {};
    const amount = typeof labelsOrValue === "number" ? labelsOrValue : (value ?? 1);
    this.sampleFor(labels).value += sign * amount;
  }
}

export class Counter<T extends string = string> extends ValueMetric<T> {
  constructor(options: MetricOptions<T>) {
    super("counter", options);
  }

  inc(labelsOrValue?: Labels<T> | number, value?: number): void {
    const amount = typeof labelsOrValue === "number" ? labelsOrValue : (value ?? 1);
    if (amount < 0) throw new Error(`${this.name}: a counter cannot decrease`);
    this.add(labelsOrValue, value, 1);
  }
}

export class Gauge<T extends string = string> extends ValueMetric<T> {
  constructor(options: MetricOptions<T>) {
    super("gauge", options);
  }

  inc(labelsOrValue?: Labels<T> | number, value?: number): void {
    this.add(labelsOrValue, value, 1);
  }

  dec(labelsOrValue?: Labels<T> | number, value?: number): void {
    this.add(labelsOrValue, value, -1);
  }

  set(labelsOrValue: Labels<T> | number, value?: number): void {
    const labels = typeof labelsOrValue === "object" ? labelsOrValue : {};
    this.sampleFor(labels).value = typeof labelsOrValue === "number" ? labelsOrValue : (value ?? 0);
  }
}

interface HistogramSample {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<T extends string = string> extends LabelledMetric<T, HistogramSample> {
  private readonly buckets: readonly number[];

  constructor(options: MetricOptions<T> & { buckets: readonly number[] }) {
    super("histogram", options);
    this.buckets = [...options.buckets].sort((a, b) => a - b);
  }

  protected emptySample(): HistogramSample {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labelsOrValue: Labels<T> | number, value?: number): void {
    const labels = typeof labelsOrValue === "object" ? labelsOrValue : {};
    const observed = typeof labelsOrValue === "number" ? labelsOrValue : (value ?? 0);
    const sample = this.sampleFor(labels);
    this.buckets.forEach((bound, i) => {
      if (observed <= bound) sample.counts[i] = (sample.counts[i] ?? 0) + 1;
    });
    sample.sum += observed;
    sample.count += 1;
  }

  protected sampleLines(pairs: [string, string][], sample: HistogramSample): string[] {
    const bucketLine = (bound: number, count: number) =>
      `${this.name}_bucket${labelText([["le", formatValue(bound)], ...pairs])} ${count}`;
    return [
      ...this.buckets.map((bound, i) => bucketLine(bound, sample.counts[i] ?? 0)),
      bucketLine(Number.POSITIVE_INFINITY, sample.count),
      `${this.name}_sum${labelText(pairs)} ${formatValue(sample.sum)}`,
      `${this.name}_count${labelText(pairs)} ${sample.count}`,
    ];
  }
}
