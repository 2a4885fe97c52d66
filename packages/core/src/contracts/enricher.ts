import type { SocketRecord } from '../types/socket.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';

/** What an enricher reports for one cycle. */
export interface EnrichResult {
  /** Non-fatal problems (e.g. no permission to read other users' fds). */
  warnings?: string[];
}

/** One collection's enrichment, record by record, for a streamed collection that keeps no records. */
export interface RecordEnrichment {
  /** Adds facts to one record in place, as it arrives (synchronous: records arrive mid-parse). */
  enrich(record: SocketRecord): void;
  /** Ends the collection: what the enricher has to report. */
  finish(): EnrichResult;
}

/** A running enricher instance. */
export interface Enricher {
  /** Adds facts to the records in place, before the snapshot is frozen. */
  enrich(sockets: SocketRecord[], signal: AbortSignal): Promise<EnrichResult>;
  /**
   * Optional streaming form: reads whatever needs the whole host (an fd → pid map, say)
   * before the collectors start, then enriches each record as it is parsed. Records arrive
   * with every listening socket first (see `Collector.stream`), but not all at once.
   */
  prepare?(signal: AbortSignal): Promise<RecordEnrichment>;
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
