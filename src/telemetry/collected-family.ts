import type { Metric, MetricValueWithName } from 'prom-client';

/** One sample of a family: labels, value and, for histograms, the series name (`..._bucket`, `_sum`, `_count`). */
export type FamilySample = MetricValueWithName<string>;

export type FamilyType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric family whose samples are read from our own counters at scrape time, so the request path
 * never calls prom-client. prom-client has no public type for such collectors; its Registry reads
 * only `name`, `help`, `type`, `get()` and `reset()` of a registered metric (lib/registry.js,
 * getMetricsAsString and resetMetrics), which is what this class provides. The exposition is checked
 * with promtool in test/telemetry.
 */
export class CollectedFamily {
  readonly name: string;
  readonly help: string;
  /** As written in `# TYPE` (prom-client's typings declare a numeric enum, but its runtime uses these strings). */
  readonly type: FamilyType;
  readonly aggregator = 'sum' as const;
  private readonly collectSamples: () => FamilySample[];

  constructor(name: string, help: string, type: FamilyType, collectSamples: () => FamilySample[]) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.collectSamples = collectSamples;
  }

  async get(): Promise<{ name: string; help: string; type: FamilyType; values: FamilySample[]; aggregator: 'sum' }> {
    return { name: this.name, help: this.help, type: this.type, values: this.collectSamples(), aggregator: this.aggregator };
  }

  /** Our counters are never reset from the registry side. */
  reset(): void {}

  /** This family as the type Registry.registerMetric accepts. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
