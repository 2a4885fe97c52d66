import type { OtelMapping } from '../types/family.js';

/** Kind of a catalog metric (Prometheus type). */
export type CatalogKind = 'gauge' | 'counter' | 'histogram';

/** How values of sockets folded into one series combine. */
export type MergeKind = 'sum' | 'max' | 'min' | 'mean' | 'last';

/**
 * Where a metric's value comes from: a dotted path into SocketRecord (`recvQueue`,
 * `tcp.rttUs`) and the factor that turns the field's unit into the metric's base unit.
 */
export interface SourceField {
  /** Dotted path into SocketRecord, at most two levels (`tcp.bytesAcked`). */
  path: string;
  /** Multiplier to the base unit (`tcp.rttUs` × 1e-6 → seconds). */
  scale: number;
}

/**
 * What a metric covers: `flow` families get one series per folded flow key; `aggregate`
 * families are always bounded (per state, per listening port, one histogram; the info gauges per
 * owner of the collection, at most `max_series`) and computed by the fold's own code named in
 * `aggregate`.
 */
export type CatalogScope = 'flow' | 'aggregate';

/** The built-in aggregates the renderer knows how to compute. */
export type AggregateKind =
  | 'socket_count'
  | 'listen_queue'
  | 'rtt_histogram'
  | 'series_dropped'
  | 'flow_count'
  | 'container_info'
  | 'process_info'
  | 'workload_address_info'
  | LifecycleKind;

/**
 * The per-flow lifecycle families, counted by the metric fold from sightings and closed records
 * (not read from one socket field): connections opened, closed, failed connects (by `reason`) and
 * closed connections' durations.
 */
export type LifecycleKind = 'connections_opened' | 'connections_closed' | 'connect_failures' | 'connection_duration';

/** How a metric appears under the prometheus_ss_exporter compatibility profile. */
export interface CompatName {
  /** Its name there (`tcp_rtt`). */
  name: string;
  /** Its help text there. */
  help: string;
  /** Multiplier from our base unit to its unit (seconds → ms is 1000). */
  scale: number;
  /** It skips a flow whose value is 0 (its tcp_delivery_rate does). */
  omitZero?: boolean;
  /** OTel mapping of the compat family (its unit differs from ours). */
  otel: OtelMapping;
}

/** One metric of the catalog. Sinks and the flow renderer iterate these; none hard-codes a metric. */
export interface MetricCatalogEntry {
  /** Stable id, the key under `flows.families` in config. */
  id: string;
  /** Prometheus type. */
  kind: CatalogKind;
  /** Base unit (`seconds`, `bytes`, `segments`, `bytes_per_second`, `sockets`, `series`). */
  unit: string;
  /** One-line help. */
  help: string;
  /** Prometheus family name. */
  prometheus: string;
  /** OpenTelemetry name, UCUM unit and label → semconv attribute map. */
  otel: OtelMapping;
  /** Per-flow family or bounded aggregate. */
  scope: CatalogScope;
  /** The field read per socket (flow families and the RTT histogram). */
  source?: SourceField;
  /** Which built-in aggregate computes it (aggregate scope; on a per-flow family, the lifecycle kinds the fold counts itself). */
  aggregate?: AggregateKind;
  /** Fixed label names of an aggregate; on a per-flow family, labels after the folding strategy's (`reason`). */
  labels?: readonly string[];
  /** How folded sockets merge. Counters always sum their per-socket deltas. */
  merge: MergeKind;
  /** On when config does not say. */
  defaultOn: boolean;
  /** Name and unit under the prometheus_ss_exporter profile, when it has this metric. */
  compat?: CompatName;
}
