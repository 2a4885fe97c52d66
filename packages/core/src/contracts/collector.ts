import type { MetricFamily } from '../types/family.js';
import type { HostStats } from '../types/host.js';
import type { SocketRecord } from '../types/socket.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';

/** What one collector returns for one cycle; every part is optional. */
export interface CollectorResult {
  /** Socket records read. */
  sockets?: SocketRecord[];
  /** Host counters read (merged with other collectors' by top-level key). */
  host?: HostStats;
  /** Metric families the collector renders itself. */
  families?: MetricFamily[];
  /** Non-fatal problems: the rest of the result is still good. */
  warnings?: string[];
  /** The kernel data changed during the read and may be inconsistent. */
  inconsistent?: boolean;
}

/** Receives socket records one at a time, as a streaming collector parses them. */
export type SocketVisitor = (record: SocketRecord) => void;

/** A running collector instance. */
export interface Collector {
  /** Reads its kernel interface once; must honour the abort signal (timeout or shutdown). */
  collect(signal: AbortSignal): Promise<CollectorResult>;
  /**
   * Optional streaming form of {@link collect} for socket sources: hands each record to `visit`
   * as soon as it is parsed and keeps none, so memory does not grow with the socket table (the
   * result has no `sockets`). A streaming collector promises two things a fold relies on: each
   * socket is visited at most once per call, and every listening socket (TCP LISTEN, unconnected
   * UDP) is visited before any other socket, so direction can be decided record by record.
   * The visitor may mutate the record but must not keep it beyond what it folds.
   */
  stream?(signal: AbortSignal, visit: SocketVisitor): Promise<CollectorResult>;
  /** Releases sockets and handles; safe to call more than once. */
  close(): Promise<void>;
}

/** Declares that a collector provides sockets, so the registry can pick one socket source. */
export type CollectorProvides = 'sockets' | 'host' | 'families';

/** A collector plugin definition. */
export interface CollectorDefinition<C = Record<string, unknown>> extends PluginDefinitionBase<C> {
  /** Always `collector`. */
  kind: 'collector';
  /** What the collector produces. */
  provides: readonly CollectorProvides[];
  /** Name of a collector that takes over its sockets when this one cannot start (fallback). */
  fallback?: string;
  /** Builds an instance; may throw a coded error when the kernel interface is unavailable. */
  create(ctx: PluginContext<C>): Collector | Promise<Collector>;
}

/** Defines a collector plugin, filling in kind and core major. */
export function defineCollector<C = Record<string, unknown>>(
  def: Omit<CollectorDefinition<C>, 'kind' | 'coreMajor'> & { coreMajor?: number },
): CollectorDefinition<C> {
  return Object.freeze({ coreMajor: CORE_MAJOR, ...def, kind: 'collector' as const });
}
