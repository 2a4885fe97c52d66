import type { Series } from './series.js';

/**
 * How much worse than a kept series a newcomer must be to take its seat under `max_series`:
 * at least `ratio` times its score and at least the absolute difference of the `top_k` in use
 * (`rttUs` for `rtt`: 1 ms; `retransmits`: 10 segments). Both must hold, so equal scores never
 * swap, and on a LAN or loopback (RTTs far under 1 ms) a seat is never lost to jitter.
 */
export const topKMargin = Object.freeze({ ratio: 1.2, rttUs: 1000, retransmits: 10 });

/** Orders by score, highest first, then by key (the stable tie-break). */
const worstFirst = (a: Series, b: Series): number => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The `n` series of `list` with the highest score, ties at the threshold broken by key (so the
 * choice is the same whatever order the sockets came in), in `list` order. The threshold comes
 * from a numeric typed-array sort; keys are compared only among ties.
 */
export function worstOf(list: readonly Series[], n: number): Series[] {
  if (n <= 0) return [];
  if (list.length <= n) return [...list];
  const scores = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) scores[i] = (list[i] as Series).score;
  scores.sort();
  const threshold = scores[scores.length - n] as number;
  let above = 0;
  const tied: Series[] = [];
  for (const g of list) {
    if (g.score > threshold) above++;
    else if (g.score === threshold) tied.push(g);
  }
  // only the ties compete by key, and only when they do not all fit
  let chosen: Set<Series> | undefined;
  if (above + tied.length > n) {
    tied.sort(worstFirst);
    chosen = new Set(tied.slice(0, n - above));
  }
  return list.filter((g) => g.score > threshold || (g.score === threshold && (chosen === undefined || chosen.has(g))));
}

/**
 * Sticky membership of the series that keep their own sample under `max_series`. A series kept
 * in the last collection (a seated one) keeps its seat in the next one as long as it has a
 * socket, unless a newcomer is worse by {@link topKMargin}; seats freed (a seated series with no
 * socket left) or never taken go to the worst newcomers. Without stickiness the kept set
 * reshuffled almost every collection as RTTs moved, and each kept series' counters held only
 * the collections it happened to be kept in (issue 14).
 */
export class CapSeats {
  /** The collection whose kept series hold the seats (-1: none yet). */
  private seatedIn = -1;
  /** Least absolute difference for a swap, in score units (µs of RTT, or retransmits). */
  private readonly minDiff: number;

  constructor(topK: 'rtt' | 'retransmits') {
    this.minDiff = topK === 'rtt' ? topKMargin.rttUs : topKMargin.retransmits;
  }

  /** True when a newcomer scoring `challenger` may take the seat of a kept series scoring `holder`. */
  beats(challenger: number, holder: number): boolean {
    return challenger >= holder * topKMargin.ratio && challenger - holder >= this.minDiff;
  }

  /** True when `g` was kept in the last collection split. */
  seated(g: Series): boolean {
    return this.seatedIn >= 0 && g.seatedGen === this.seatedIn;
  }

  /**
   * Splits the series active in collection `gen` into the kept (their own samples, in `active`
   * order) and the folded (into `other`): all are kept within `max`; over it `max - 1` seats
   * (the `other` series takes the last). Seated series keep theirs (if more than the seats, the
   * worst of them by score); free seats go to the worst newcomers; then, pairwise, the worst
   * remaining newcomer takes the seat of the least bad seated series while it beats it by the
   * margin. Cost: linear, plus sorts only when a swap is due.
   */
  split(active: Series[], max: number, gen: number): { kept: Series[]; folded: Series[] } {
    if (active.length <= max) {
      for (const g of active) g.seatedGen = gen;
      this.seatedIn = gen;
      return { kept: active, folded: [] };
    }
    const room = max - 1;
    const incumbents: Series[] = [];
    const newcomers: Series[] = [];
    // a seated series with only closed records this collection (score -1, see metric-fold) has no
    // live socket: its seat is free, and it competes as a newcomer, below every live one
    for (const g of active) (this.seated(g) && g.score >= 0 ? incumbents : newcomers).push(g);
    this.seatedIn = gen;
    const holders = incumbents.length > room ? worstOf(incumbents, room) : incumbents;
    const admitted = worstOf(newcomers, room - holders.length);
    for (const g of holders) g.seatedGen = gen;
    for (const g of admitted) g.seatedGen = gen;
    // seated series cut by the cap score no higher than any holder, so only newcomers challenge
    this.swap(holders, newcomers.filter((g) => g.seatedGen !== gen), gen);
    const kept: Series[] = [];
    const folded: Series[] = [];
    for (const g of active) (g.seatedGen === gen ? kept : folded).push(g);
    return { kept, folded };
  }

  /** Newcomers left out take seats from the least bad holders while they beat them by the margin. */
  private swap(holders: readonly Series[], challengers: readonly Series[], gen: number): void {
    if (holders.length === 0 || challengers.length === 0) return;
    let top = -Infinity;
    for (const g of challengers) if (g.score > top) top = g.score;
    let least = Infinity;
    for (const g of holders) if (g.score < least) least = g.score;
    if (!this.beats(top, least)) return; // the usual case: nothing to sort
    const byChallenge = [...challengers].sort(worstFirst);
    const byHold = [...holders].sort((a, b) => worstFirst(b, a));
    for (let i = 0; i < byChallenge.length && i < byHold.length; i++) {
      const c = byChallenge[i] as Series;
      const h = byHold[i] as Series;
      if (!this.beats(c.score, h.score)) break;
      h.seatedGen = -1;
      c.seatedGen = gen;
    }
  }
}
