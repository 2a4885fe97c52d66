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
