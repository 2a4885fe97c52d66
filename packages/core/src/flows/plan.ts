import { isLifecycle, metricCatalog } from '../catalog/catalog.js';
import { parseDuration } from '../config/duration.js';
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
  /** Per-flow counter entries read from a socket field (the kernel's counters), by slot 0 … K-1. */
  counters: readonly MetricCatalogEntry[];
  /**
   * Counter slots of the lifecycle events, after the kernel counters (K … C-1), -1 when off:
   * connections opened, closed, connects refused and timed out (the last two are one family).
   */
  events: { opened: number; closed: number; refused: number; timeout: number };
  /** The lifecycle families on, in catalog order. */
  lifecycle: readonly MetricCatalogEntry[];
  /** Number of kernel counter slots (the counters with a source). */
  K: number;
  /** Per-series histogram slots: connection durations and the RTT split by the key (-1 when off), and their bounds by slot. */
  hists: { duration: number; rtt: number; bounds: readonly (readonly number[])[] };
  /** `flows.state_label`: `sockscope_flow_sockets` is keyed by state too (needs flow_sockets on). */
  stateLabel: boolean;
  /** The RTT histogram (split or not) observes a socket at most once per window of this many ms (0: every collection). */
  histogramIntervalMs: number;
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
  /** Number of counter slots: kernel counters, then lifecycle events. */
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
  const lifecycle = enabled.filter(isLifecycle);
  const on = (kind: string) => lifecycle.some((e) => e.aggregate === kind);
  let next = counters.length;
  const slot = (want: boolean) => (want ? next++ : -1);
  const events = { opened: slot(on('connections_opened')), closed: slot(on('connections_closed')), refused: slot(on('connect_failures')), timeout: -1 };
  if (events.refused >= 0) events.timeout = next++;
  const histBounds: (readonly number[])[] = [];
  const durationEntry = lifecycle.find((e) => e.aggregate === 'connection_duration');
  const duration = durationEntry ? histBounds.push(config.duration_buckets) - 1 : -1;
  const reader = (e: MetricCatalogEntry): SourceReader =>
    compileSource(e.source as NonNullable<MetricCatalogEntry['source']>, compat && e.compat ? e.compat.scale : 1);
  const histEntry = enabled.find((e) => e.aggregate === 'rtt_histogram');
  const histScale = compat ? (histEntry?.compat?.scale ?? 1) : 1;
  const directions = config.selection.include.directions?.length || config.selection.exclude.directions?.length;
  const histBoundsScaled = config.histogram_buckets.map((b) => Number((b * histScale).toPrecision(12)));
  const rtt = histEntry && config.rtt_histogram_by === 'strategy' ? histBounds.push(histBoundsScaled) - 1 : -1;
  return {
    enabled,
    gauges,
    counters,
    gaugeReaders: gauges.map(reader),
    counterReaders: counters.map(reader),
    gaugeMerge: Int8Array.from(gauges, (e) => MERGE[e.merge]),
    compat,
    G: gauges.length,
    C: next,
    K: counters.length,
    events,
    lifecycle,
    hists: { duration, rtt, bounds: histBounds },
    stateLabel: config.state_label && enabled.some((e) => e.aggregate === 'flow_count'),
    histogramIntervalMs: parseDuration(config.histogram_interval),
    histogram: histEntry && {
      entry: histEntry,
      bounds: histBoundsScaled,
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
