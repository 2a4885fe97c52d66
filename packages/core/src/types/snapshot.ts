import type { Warning } from '../contracts/warning.js';
import type { MetricFamily } from './family.js';
import type { HostStats } from './host.js';

/** How one collector (or enricher, as `enricher:<name>`) fared in one collection cycle. */
export interface CollectorStatus {
  /** Collector name. */
  name: string;
  /** True when the collector returned without error and in time. */
  success: boolean;
  /** Wall time of the collector, seconds. */
  durationSeconds: number;
  /** Error message when it failed or timed out. */
  error?: string;
  /** Code of that error, when it had one. */
  errorCode?: string;
  /** Non-fatal problems (a malformed file, a missing permission) reported by the collector. */
  warnings?: Warning[];
  /** True when the data may be inconsistent (e.g. the kernel table changed during a dump). */
  inconsistent?: boolean;
}

/** What one collection cycle saw, besides what its folds made of the socket records. Immutable once published. */
export interface Snapshot {
  /** Time the collection started, ms since the epoch. */
  timestamp: number;
  /** Duration of the whole cycle (collectors and enrichers), seconds. */
  durationSeconds: number;
  /** Socket records streamed through the folds. */
  socketCount: number;
  /** Host-wide counters, merged from all collectors. */
  host: HostStats;
  /** Metric families the collectors built themselves (third-party plugins). */
  families: readonly MetricFamily[];
  /** Per-collector (and per-enricher) status. */
  status: readonly CollectorStatus[];
}

/** One collection: the snapshot and what each fold returned. */
export interface Collection<R> extends Snapshot {
  /** Each fold's result, by the fold's name. */
  folds: R;
}
