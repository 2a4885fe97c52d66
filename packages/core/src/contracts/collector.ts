import type { MetricFamily } from '../types/family.js';
import type { HostStats } from '../types/host.js';
import type { SocketRecord } from '../types/socket.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';
import type { Warning } from './warning.js';

/** What one collector returns for one cycle besides the records it streamed; every part is optional. */
export interface CollectorResult {
  /** Host counters read (merged with other collectors' by top-level key). */
  host?: HostStats;
  /** Metric families the collector builds itself (third-party plugins). */
  families?: MetricFamily[];
  /** Non-fatal problems: the rest of the result is still good. */
  warnings?: Warning[];
  /** The kernel data changed during the read and may be inconsistent. */
  inconsistent?: boolean;
}

/** Receives socket records one at a time, as a collector parses them. */
export type SocketVisitor = (record: SocketRecord) => void;

/**
 * A running collector instance. Socket records travel one way: a collector hands each to `visit`
 * as soon as it is parsed and keeps none (core derives a list where one is needed, see
 * `listSockets`). A socket collector promises two things folds rely on: each socket is visited at
 * most once per call, and every listening socket (TCP LISTEN, unconnected UDP) is visited before
 * any other socket. A collector that hears sockets close (linux-netlink's destroy events) may end
 * the call with closed records (`closedAt` set: the sockets destroyed since its previous call),
 * after every live one; a cookie seen alive earlier in the same call comes again only when it
 * closed meanwhile, and the closed record wins. The two promises are the live records'. A
 * collector of host counters or families never calls `visit`.
 */
export interface Collector {
  /** Reads its kernel interface once, streaming socket records to `visit`; must honour the abort signal. */
  stream(signal: AbortSignal, visit: SocketVisitor): Promise<CollectorResult>;
  /** Releases sockets and handles; safe to call more than once. */
  close(): Promise<void>;
}

/** What a collector produces: the registry lets one enabled collector be the socket source. */
export type CollectorProvides = 'sockets' | 'host' | 'families';

/** A collector plugin definition. */
export interface CollectorDefinition<C = Record<string, unknown>> extends PluginDefinitionBase<C> {
  /** Always `collector`. */
  kind: 'collector';
  /** What the collector produces. */
  provides: readonly CollectorProvides[];
  /** Name of a collector that takes over its sockets when this one cannot start (checked at registration). */
  fallback?: string;
  /** Builds an instance; throws a coded error when the kernel interface (or its FFI) is unavailable. */
  create(ctx: PluginContext<C>): Collector | Promise<Collector>;
}

/** Defines a collector plugin, filling in kind and core major. */
export function defineCollector<C = Record<string, unknown>>(
  def: Omit<CollectorDefinition<C>, 'kind' | 'coreMajor'> & { coreMajor?: number },
): CollectorDefinition<C> {
  return Object.freeze({ coreMajor: CORE_MAJOR, ...def, kind: 'collector' as const });
}
