import { metricCatalog } from '../catalog/catalog.js';
import { compileSource, type SourceReader } from '../catalog/source.js';
import type { MetricCatalogEntry } from '../catalog/types.js';
import type { FlowsConfig } from './schema.js';
import { MERGE } from './series.js';

/**
 * What the metric fold decides once from its config: which families are on, which socket
 * fields feed them (compiled readers), and in which units. Every part of the fold reads it;
 * nothing in it changes after construction.
 */
export interface FlowPlan {
  /** Enabled catalog entries in catalog order. */
  enabled: readonly MetricCatalogEntry[];
  /** Per-flow gauge entries, by slot. */
  gauges: readonly MetricCatalogEntry[];
  /** Per-flow counter entries, by slot. */
  counters: readonly MetricCatalogEntry[];
  /** Reader of each gauge slot, in the output unit. */
  gaugeReaders: readonly SourceReader[];
  /** Reader of each counter slot, in the output unit. */
  counterReaders: readonly SourceReader[];
  /** Merge code per gauge slot. */
  gaugeMerge: Int8Array;
  /** Output under prometheus_ss_exporter names and units. */
  compat: boolean;
  /** Number of gauge slots. */
  G: number;
  /** Number of counter slots. */
  C: number;
  /** The RTT histogram when it is on: its entry, bounds and reader in the output unit. */
  histogram: { entry: MetricCatalogEntry; bounds: readonly number[]; read: SourceReader } | undefined;
  /** top_k ranks series by their worst RTT (else by the sum of their retransmits). */
  byRtt: boolean;
  /** What top_k ranks a socket by: its RTT or its retransmits. */
  rank: SourceReader;
  /** Direction falls back to listening ports (service folding, or a selection on directions). */
  needListen: boolean;
  /** Which aggregates are on. */
  wantCounts: boolean;
  wantQueueLength: boolean;
  wantQueueLimit: boolean;
  /** Which info gauges are on. */
  wantContainerInfo: boolean;
  wantProcessInfo: boolean;
  /** `sockscope_workload_address_info` is on. */
  wantAddressInfo: boolean;
  /** `max_series`: the most series of a per-flow family, and of an info gauge. */
  maxSeries: number;
}

/** The plan of a resolved `flows:` config. */
export function planFlows(config: Readonly<FlowsConfig>): FlowPlan {
  const compat = config.compat === 'prometheus_ss_exporter';
  const enabled = metricCatalog.filter((e) => config.families[e.id] === true);
  const gauges = enabled.filter((e) => e.scope === 'flow' && e.kind === 'gauge' && e.source);
  const counters = enabled.filter((e) => e.scope === 'flow' && e.kind === 'counter' && e.source);
  const reader = (e: MetricCatalogEntry): SourceReader =>
    compileSource(e.source as NonNullable<MetricCatalogEntry['source']>, compat && e.compat ? e.compat.scale : 1);
  const histEntry = enabled.find((e) => e.aggregate === 'rtt_histogram');
  const histScale = compat ? (histEntry?.compat?.scale ?? 1) : 1;
  const directions = config.selection.include.directions?.length || config.selection.exclude.directions?.length;
  return {
    enabled,
    gauges,
    counters,
    gaugeReaders: gauges.map(reader),
    counterReaders: counters.map(reader),
    gaugeMerge: Int8Array.from(gauges, (e) => MERGE[e.merge]),
    compat,
    G: gauges.length,
    C: counters.length,
    histogram: histEntry && {
      entry: histEntry,
      bounds: config.histogram_buckets.map((b) => Number((b * histScale).toPrecision(12))),
      read: compileSource(histEntry.source as NonNullable<MetricCatalogEntry['source']>, histScale),
    },
    byRtt: config.top_k === 'rtt',
    rank: compileSource({ path: config.top_k === 'rtt' ? 'tcp.rttUs' : 'tcp.totalRetrans', scale: 1 }),
    needListen: config.folding === 'service' || Boolean(directions),
    wantCounts: enabled.some((e) => e.aggregate === 'socket_count'),
    wantQueueLength: enabled.some((e) => e.id === 'tcp_listen_queue_length'),
    wantQueueLimit: enabled.some((e) => e.id === 'tcp_listen_queue_limit'),
    wantContainerInfo: enabled.some((e) => e.aggregate === 'container_info'),
    wantProcessInfo: enabled.some((e) => e.aggregate === 'process_info'),
    wantAddressInfo: enabled.some((e) => e.aggregate === 'workload_address_info'),
    maxSeries: config.max_series,
  };
}
