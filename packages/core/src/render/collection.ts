import type { MetricFamily } from '../types/family.js';
import type { Collection } from '../types/snapshot.js';
import { renderHostFamilies } from './host.js';
import { renderCollectorStatus } from './status.js';

/** What the metric fold made of a collection's socket records. */
export interface MetricFolds {
  /** Per-flow families and socket aggregates, in catalog order. */
  readonly metrics: readonly MetricFamily[];
}

/**
 * The one place that decides what is published: the metric fold's families, the host families
 * (node_exporter's names), the collectors' own families, every collector's success and duration,
 * then what components publish about themselves. Every sink serializes this list and nothing else.
 */
export function renderCollection(collection: Collection<MetricFolds>, self: readonly MetricFamily[] = []): MetricFamily[] {
  return [...collection.folds.metrics, ...renderHostFamilies(collection.host), ...collection.families, ...renderCollectorStatus(collection), ...self];
}
