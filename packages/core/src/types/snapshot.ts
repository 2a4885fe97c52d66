import type { MetricFamily } from './family.js';
import type { HostStats } from './host.js';
import type { SocketRecord } from './socket.js';

/** How one collector fared in one collection cycle. */
export interface CollectorStatus {
  /** Collector name. */
  name: string;
  /** True when the collector returned without error and in time. */
  success: boolean;
  /** Wall time of the collector, seconds. */
  durationSeconds: number;
  /** Error message when it failed or timed out. */
  error?: string;
  /** Non-fatal problems (a malformed file, a missing permission) reported by the collector. */
  warnings?: string[];
  /** True when the data may be inconsistent (e.g. the kernel table changed during a dump). */
  inconsistent?: boolean;
}

/** What a streamed collection folded its sockets into; the records themselves are gone. */
export interface FoldedSockets {
  /** Sockets folded. */
  socketCount: number;
  /** The fold's families (flows and socket aggregates). */
  families: readonly MetricFamily[];
}

/** Everything one collection cycle saw. Immutable once published. */
export interface Snapshot {
  /** Time the collection started, ms since the epoch. */
  timestamp: number;
  /** Duration of the whole cycle (collectors and enrichers), seconds. */
  durationSeconds: number;
  /** Every socket the collectors returned, after enrichment (empty when the collection was folded). */
  sockets: readonly SocketRecord[];
  /** Set when the sockets were folded as they were read (streamed) instead of listed. */
  folded?: FoldedSockets;
  /** Host-wide counters, merged from all collectors. */
  host: HostStats;
  /** Metric families the collectors produced themselves (third-party plugins). */
  families: readonly MetricFamily[];
  /** Per-collector (and per-enricher) status. */
  status: readonly CollectorStatus[];
}
