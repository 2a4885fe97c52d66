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

/** A running collector instance. */
export interface Collector {
  /** Reads its kernel interface once; must honour the abort signal (timeout or shutdown). */
  collect(signal: AbortSignal): Promise<CollectorResult>;
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
