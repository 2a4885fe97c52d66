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
  /** Unit in UCUM for OTLP (`s`, `By`, `{packet}`), when known. */
  unit?: string;
  /** OpenTelemetry name, when the family has one. */
  otelName?: string;
  /** Samples of a gauge, counter or untyped family. */
  samples?: Sample[];
  /** Series of a histogram family. */
  histograms?: HistogramSample[];
}
