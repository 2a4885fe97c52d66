import type { Collector, CollectorResult } from '../contracts/collector.js';
import type { EnrichResult, Enricher } from '../contracts/enricher.js';
import type { Fold } from '../contracts/fold.js';
import { isListening } from '../enrichers/direction.js';
import type { SocketRecord } from '../types/socket.js';

// The list forms, derived from the one streamed path, for library users and tests that want a
// table in hand. The agent never lists: its collections stream into folds.

/** A collector's result with the records it streamed, in the order it streamed them. */
export interface ListedResult extends CollectorResult {
  /** Every socket record the collector read. */
  sockets: SocketRecord[];
}

/** Runs a collector once and keeps every record it streams. */
export async function listSockets(collector: Collector, signal: AbortSignal = new AbortController().signal): Promise<ListedResult> {
  const sockets: SocketRecord[] = [];
  const result = await collector.stream(signal, (s) => void sockets.push(s));
  return { ...result, sockets };
}

/** Enriches a list of records in place: prepares once, then each record, listening sockets first. */
export async function enrichRecords(enricher: Enricher, records: readonly SocketRecord[], signal: AbortSignal = new AbortController().signal): Promise<EnrichResult> {
  const run = await enricher.prepare(signal);
  for (const s of records) if (isListening(s)) run.enrich(s);
  for (const s of records) if (!isListening(s)) run.enrich(s);
  return run.finish();
}

/**
 * Feeds a list of records to a fold as one collection, listening sockets first, and returns its
 * result. The list is the whole table (a complete collection) unless `complete` is false.
 */
export function foldRecords<R>(fold: Fold<R>, timestamp: number, records: readonly SocketRecord[], complete = true): R {
  fold.begin(timestamp);
  for (const s of records) if (isListening(s)) fold.add(s);
  for (const s of records) if (!isListening(s)) fold.add(s);
  return fold.end(complete);
}
