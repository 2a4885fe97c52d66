import type { MetricFamily } from '../types/family.js';
import type { Collection } from '../types/snapshot.js';
import { renderHostFamilies } from './host.js';
import { renderCollectorStatus } from './status.js';

/** What the metric fold made of a collection's socket records. */
export interface MetricFolds {
  /** Per-flow families and socket aggregates, in catalog order. */
  readonly metrics: readonly MetricFamily[];
}

/** Options of {@link renderCollection}. */
export interface RenderOptions {
  /**
   * Render the host families (node_exporter's names: interfaces, netstat, sockstat, conntrack,
   * softnet, FreeBSD's TCP states) from the collectors' host stats; default true. The
   * prometheus_ss_exporter profile turns them off: its output is its own families plus
   * sockscope's self metrics. Families a collector returns itself are rendered either way.
   */
  host?: boolean;
}

/**
 * The one place that decides what is published: the metric fold's families, the host families
 * (node_exporter's names), the collectors' own families, every collector's success and duration,
 * then what components publish about themselves. Every sink serializes this list and nothing else.
 */
export function renderCollection(collection: Collection<MetricFolds>, self: readonly MetricFamily[] = [], options: RenderOptions = {}): MetricFamily[] {
  const host = options.host === false ? [] : renderHostFamilies(collection.host);
  return [...collection.folds.metrics, ...host, ...collection.families, ...renderCollectorStatus(collection), ...self];
}
