import type { SocketRecord } from '../types/socket.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';

/** What an enricher reports for one cycle. */
export interface EnrichResult {
  /** Non-fatal problems (e.g. no permission to read other users' fds). */
  warnings?: string[];
}

/** A running enricher instance. */
export interface Enricher {
  /** Adds facts to the records in place, before the snapshot is frozen. */
  enrich(sockets: SocketRecord[], signal: AbortSignal): Promise<EnrichResult>;
  /** Releases caches and handles; safe to call more than once. */
  close(): Promise<void>;
}

/** An enricher plugin definition. */
export interface EnricherDefinition<C = Record<string, unknown>> extends PluginDefinitionBase<C> {
  /** Always `enricher`. */
  kind: 'enricher';
  /** Names of enrichers that must run before this one (e.g. container after process). */
  after?: readonly string[];
  /** Builds an instance. */
  create(ctx: PluginContext<C>): Enricher | Promise<Enricher>;
}

/** Defines an enricher plugin, filling in kind and core major. */
export function defineEnricher<C = Record<string, unknown>>(
  def: Omit<EnricherDefinition<C>, 'kind' | 'coreMajor'> & { coreMajor?: number },
): EnricherDefinition<C> {
  return Object.freeze({ coreMajor: CORE_MAJOR, ...def, kind: 'enricher' as const });
}
