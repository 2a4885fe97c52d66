import { renderSocketCounts, type MetricFamily, type Snapshot } from '@sockscope/core';

/** Builds the snapshot renderer: aggregates, host families, then the collectors' own families. */
export function createRenderer(): (snapshot: Snapshot) => MetricFamily[] {
  return (snapshot) => [renderSocketCounts(snapshot.sockets), ...snapshot.families];
}
