import type { SocketRecord } from '../types/socket.js';

/**
 * A consumer of one collection's enriched socket records: the metric fold today, the live
 * connections table, topology and lifecycle folds next. Records arrive listeners first, each
 * socket once; a fold keeps what it needs of them and never the records themselves.
 */
export interface Fold<R> {
  /** Starts a collection taken at `timestamp` (ms since the epoch); a collection left open is dropped. */
  begin(timestamp: number): void;
  /** Folds one enriched record of the collection begun. */
  add(record: SocketRecord): void;
  /** Ends the collection and returns what the fold made of it. */
  end(): R;
}

/** Named folds one collection feeds. */
export type Folds = Readonly<Record<string, Fold<unknown>>>;

/** What each of a set of folds returned, by name. */
export type FoldResults<F extends Folds> = { readonly [K in keyof F]: F[K] extends Fold<infer R> ? R : never };
