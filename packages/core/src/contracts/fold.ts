import type { SocketRecord } from '../types/socket.js';
import type { TimeSlice } from '../util/time-slice.js';

/**
 * A consumer of one collection's enriched socket records: the metric fold today, the live
 * connections table, topology and lifecycle folds next. Records arrive listeners first, each
 * socket once; a fold keeps what it needs of them and never the records themselves. A collection
 * may be partial (a collector timed out half-way): `end(complete)` says which.
 */
export interface Fold<R> {
  /** Starts a collection taken at `timestamp` (ms since the epoch); a collection left open is dropped. */
  begin(timestamp: number): void;
  /** Folds one enriched record of the collection begun. */
  add(record: SocketRecord): void;
  /**
   * Ends the collection and returns what the fold made of it. `complete` is true when the
   * collection read every socket: every collector that may stream sockets finished (none threw,
   * timed out or reported its data inconsistent). After a partial collection (`false`) a socket
   * that was not seen may well be alive: a fold keeps what it remembers of it (e.g. its last
   * counter values, so the next sighting adds only what grew) and forgets a socket only when a
   * complete collection did not see it. A caller that fed a whole table passes true.
   */
  end(complete: boolean): R;
  /**
   * Optional: the same as {@link end}, cut into pieces with the event loop let run between them
   * whenever `slice` is due. A fold whose end is long (a per-flow fold emitting hundreds of
   * thousands of samples) offers it so the agent keeps answering meanwhile; the pipeline calls
   * it when present. Nothing else calls into the fold until it resolves.
   */
  endSliced?(complete: boolean, slice: TimeSlice): Promise<R>;
}

/** Named folds one collection feeds. */
export type Folds = Readonly<Record<string, Fold<unknown>>>;

/** What each of a set of folds returned, by name. */
export type FoldResults<F extends Folds> = { readonly [K in keyof F]: F[K] extends Fold<infer R> ? R : never };
