import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';
import type { Warning } from './warning.js';

/** What an enricher reports at the end of one collection. */
export interface EnrichResult {
  /** Non-fatal problems (e.g. no permission to read other users' fds). */
  warnings?: Warning[];
  /**
   * Families of the enricher's own (cache hits and misses, say), published with the collection
   * like a collector's own families. Built at `finish`, so they describe this collection.
   */
  families?: MetricFamily[];
}

/** One collection's enrichment, record by record. */
export interface RecordEnrichment {
  /** Adds facts to one record in place, as it arrives (synchronous: records arrive mid-parse). */
  enrich(record: SocketRecord): void;
  /**
   * Ends the collection: what the enricher has to report. `complete` is false when the collection
   * was partial (a socket collector failed or timed out part-way, see `Fold.end`): an enricher that
   * remembers sockets across collections forgets one only when a complete collection missed it.
   * Omitted means complete (a whole table enriched at once).
   */
  finish(complete?: boolean): EnrichResult;
}

/**
 * A running enricher instance. It reads whatever needs the whole host (an fd → pid map, say) in
 * `prepare`, then enriches each record as it passes; records arrive with every listening socket
 * first, but not all at once. Core derives the list form (`enrichRecords`).
 */
export interface Enricher {
  /** Prepares one collection's enrichment. */
  prepare(signal: AbortSignal): Promise<RecordEnrichment>;
  /** Releases caches and handles; safe to call more than once. */
  close(): Promise<void>;
}

/** An enricher plugin definition. */
export interface EnricherDefinition<C = Record<string, unknown>> extends PluginDefinitionBase<C> {
  /** Always `enricher`. */
  kind: 'enricher';
  /** Names of enrichers that must run before this one when they are enabled (checked at registration). */
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
