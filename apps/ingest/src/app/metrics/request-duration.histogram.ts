import type { Metric, Registry } from 'prom-client';

type DurationLabels = { method: string; route: string; status: string };

/** One label set's observations: a count per finite bucket (not cumulative), sum, count (= the +Inf bucket). */
interface Series {
  readonly labels: DurationLabels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels?: DurationLabels;
  value: number;
  /** null on buckets, as prom-client's (this histogram keeps no exemplars). */
  exemplar?: null;
}

/** What prom-client's Registry reads of a metric (its typings give `type` as an enum; at run time it is this). */
interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: ExportedValue[];
}

/**
 * A Prometheus histogram of request durations by method, route and status, observed by the onResponse
 * hook on every request. prom-client's Histogram#observe checks the label object, hashes it and looks
 * its bucket up by the bound as a property name on each call, about 1.1 µs (a micro-benchmark of its
 * observe with these labels, 2026-12-01): ~2% of ingest's CPU per single entry, where a --cpu-prof
 * profile under load showed prom-client at 3.8%. This one finds its label set by one string key and
 * the bucket by index. To prom-client's Registry it is a metric like the others (name, help, type,
 * get, reset): GET /metrics prints the same lines a prom-client Histogram would
 * (request-duration.histogram.spec.ts holds them to it).
 */
export class RequestDurationHistogram {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, Series>();
  /** How many times reset() dropped every series: seriesObserver's observers find theirs again after one. */
  private resets = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    // The registry's type lists prom-client's own classes; it uses only what this class has.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.record(this.seriesOf(method, route, status), seconds);
  }

  /**
   * An observer of one label set, found once: the direct log routes keep the ones of their accepted
   * answers, which spares the key string and the lookup on every request.
   */
  seriesObserver(method: string, route: string, status: number): (seconds: number) => void {
    let series = this.seriesOf(method, route, status);
    let resets = this.resets;
    return (seconds) => {
      // reset() dropped the series: find (make) it again, as observe() would.
      if (resets !== this.resets) {
        series = this.seriesOf(method, route, status);
        resets = this.resets;
      }
      this.record(series, seconds);
    };
  }

  private seriesOf(method: string, route: string, status: number): Series {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        labels: { method, route, status: String(status) },
        counts: new Float64Array(this.upperBounds.length),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    return series;
  }

  private record(series: Series, seconds: number): void {
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]) bucket++;
    // Past the last bound it is only in +Inf, which is the count.
    if (bucket < bounds.length) series.counts[bucket] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The text exposition's form: `le` as the bucket's own label, the label set shared (as prom-client's). */
  async getForPromString(): Promise<ExportedMetric> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, index) => {
        cumulative += counts[index];
        values.push({
          labels: { le },
          sharedLabels: labels,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      });
      values.push({
        labels: { le: '+Inf' },
        sharedLabels: labels,
        value: count,
        metricName: bucketName,
        exemplar: null,
      });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (Registry#getMetricsAsJSON): each value's labels in one object. */
  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }

  reset(): void {
    this.resets += 1;
    this.series.clear();
  }
}
