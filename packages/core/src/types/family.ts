/** Prometheus/OpenMetrics metric type of a family. */
export type MetricType = 'gauge' | 'counter' | 'histogram' | 'untyped';

/** Label names to label values. */
export type Labels = Readonly<Record<string, string>>;

/** A single value with its labels. */
export interface Sample {
  /** Labels of the series. */
  labels: Labels;
  /** The value. */
  value: number;
}

/** A histogram series: cumulative bucket counts by upper bound, plus sum and count. */
export interface HistogramSample {
  /** Labels of the series (without `le`). */
  labels: Labels;
  /** Upper bounds, ascending, without +Inf. */
  bounds: readonly number[];
  /** Cumulative counts per bound (same length as bounds). */
  counts: readonly number[];
  /** Sum of observed values. */
  sum: number;
  /** Number of observations (the +Inf bucket). */
  count: number;
}

/** A metric family ready for any sink. */
export interface MetricFamily {
  /** Prometheus name, e.g. `node_network_receive_bytes_total`. */
  name: string;
  /** One-line help text. */
  help: string;
  /** Metric type. */
  type: MetricType;
  /** How the family maps onto OpenTelemetry; absent for families OTLP does not export. */
  otel?: OtelMapping;
  /** Samples of a gauge, counter or untyped family. */
  samples?: Sample[];
  /** Series of a histogram family. */
  histograms?: HistogramSample[];
  /**
   * A family a collector builds itself that describes the host (`sockscope_host_address_info`):
   * left out with the host families when a render turns those off (the prometheus_ss_exporter
   * profile). Absent: rendered either way.
   */
  host?: boolean;
}

/**
 * How a family is published over OTLP. Several Prometheus families may share one OTel name
 * (e.g. receive and transmit bytes both become `system.network.io`), told apart by `attributes`.
 */
export interface OtelMapping {
  /** OpenTelemetry metric name, e.g. `system.network.io`. */
  name: string;
  /** Unit in UCUM: `s`, `By`, `{packet}`, `{connection}`. */
  unit: string;
  /** Constant attributes added to every point, e.g. `{ "network.io.direction": "receive" }`. */
  attributes?: Labels;
  /** Prometheus label name → OTel attribute name (`device` → `network.interface.name`); unmapped labels keep their name. */
  labelMap?: Readonly<Record<string, string>>;
  /**
   * Label value → attribute value, per Prometheus label name, where the conventions spell a value
   * otherwise (`state`: `TIME_WAIT` → `time_wait`); values not listed pass unchanged. A value
   * mapped to `''` leaves the attribute out (as an empty Prometheus label is no label). Samples
   * of one family that meet under the same attributes are summed (counts only).
   */
  values?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Publish as an OTel sum: `true` monotonic (a counter), `false` up-down (an UpDownCounter, e.g.
   * `system.network.connection.count`). Absent: counters are monotonic sums, gauges and untyped
   * families gauges.
   */
  monotonic?: boolean;
}

/**
 * The samples of a family as two columns, `labels[i]` with `values[i]` for `i < length`: what the
 * flow fold writes for its per-flow families (hundreds of thousands of samples at a time) instead
 * of one object a sample. A sink that knows columns reads them with {@link sampleColumns};
 * every other reader sees `samples`, made from the columns the first time it is read.
 */
export interface SampleColumns {
  readonly labels: readonly Labels[];
  /**
   * The flow fold writes a Float64Array as long as its list of series (`length` of it used): its
   * bytes come from malloc, reused from one scrape to the next, where a JS array of doubles this
   * long is a fresh large-object page of V8's heap every scrape.
   */
  readonly values: ArrayLike<number>;
  readonly length: number;
}

const COLUMNS = Symbol('sockscope.sampleColumns');
type WithColumns = MetricFamily & { [COLUMNS]?: SampleColumns };

/**
 * A family whose samples are `columns`. Its `samples` is an enumerable property read lazily: the
 * first read (a sink without column support, a spread, structuredClone, JSON) makes the array,
 * which stays. The columns themselves are not enumerable, so a copy of the family carries
 * `samples` alone; assigning `samples` drops them, so the two never disagree.
 */
export function columnarFamily(family: Omit<MetricFamily, 'samples' | 'histograms'>, columns: SampleColumns): MetricFamily {
  const f = family as WithColumns;
  Object.defineProperty(f, COLUMNS, { value: columns, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(f, 'samples', {
    enumerable: true,
    configurable: true,
    get(this: WithColumns): Sample[] {
      const made: Sample[] = new Array<Sample>(columns.length);
      for (let i = 0; i < columns.length; i++) made[i] = { labels: columns.labels[i] as Labels, value: columns.values[i] as number };
      Object.defineProperty(this, 'samples', { value: made, writable: true, enumerable: true, configurable: true });
      return made;
    },
    set(this: WithColumns, v: Sample[] | undefined) {
      this[COLUMNS] = undefined;
      Object.defineProperty(this, 'samples', { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
  return f;
}

/** The columns of a family made by {@link columnarFamily}; undefined for any other family. */
export function sampleColumns(family: MetricFamily): SampleColumns | undefined {
  return (family as WithColumns)[COLUMNS];
}

/** How many samples a family has, without making the samples of a columnar one. */
export function sampleCount(family: MetricFamily): number {
  return sampleColumns(family)?.length ?? family.samples?.length ?? 0;
}
