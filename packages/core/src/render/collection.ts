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
   * sockscope's self metrics. Families a collector returns itself are rendered either way, but
   * those it marks `host` (issue 21's `sockscope_host_address_info`) go with the host families.
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
  const own = options.host === false ? collection.families.filter((f) => f.host !== true) : collection.families;
  return [...collection.folds.metrics, ...host, ...own, ...renderCollectorStatus(collection), ...self];
}
