import type { SocketRecord } from '../types/socket.js';
import type { FlowKeyer } from './fold.js';
import { Series, SeriesNumbers, type SeriesExtras } from './series.js';

/** How long idle series are remembered. */
export interface SeriesRetention {
  /** A series with no socket for this long is forgotten (its counters restart if it returns), ms. */
  retentionMs: number;
  /** Most idle series remembered at once, the longest idle forgotten first. */
  maxIdle: number;
}

/**
 * Every series the fold remembers, by key, and the ones active in the collection open. A
 * series outlives its sockets (its counter totals must survive them) until it has been idle
 * for the retention time, or until more than `maxIdle` series are idle: under churn
 * (raw_endpoint keys of short connections) idle series would otherwise pile up for the whole
 * retention time, so the cap bounds memory and forgets the longest idle first.
 */
export class SeriesTable {
  private readonly series = new Map<string, Series>();
  /** Series active in the collection open, in the order their first socket came: `count` of `list` (see {@link active}). */
  private list: Series[] = [];
  private count = 0;
  /** Series active in the last collection ended. */
  private prevActive: Series[] = [];
  /**
   * The list of the collection before last, written over by the next one: grown afresh every
   * collection, a list of tens of thousands of series was a chain of ever larger copies in V8's
   * large-object space (~10 ms at 60k). Nothing else holds it by then (see {@link forgetIdle}).
   */
  private spare: Series[] | undefined;
  /**
   * Series in the order they went idle, oldest first, from `idleHead` on; an entry is stale
   * once its series was active again (its idleSince moved on).
   */
  private idle: { g: Series; since: number }[] = [];
  private idleHead = 0;
  /** Every series' numbers (see {@link SeriesNumbers}). */
  private readonly numbers: SeriesNumbers;

  constructor(
    private readonly keyer: FlowKeyer,
    private readonly G: number,
    private readonly C: number,
    private readonly retention: SeriesRetention,
    private readonly extras: SeriesExtras = {},
  ) {
    this.numbers = new SeriesNumbers(2 * G + 3 * C);
  }

  /** True while `g` is the series the table holds under its key (not forgotten since). */
  holds(g: Series): boolean {
    return this.series.get(g.key) === g;
  }

  /** Series active in the collection open, in the order their first socket came. */
  get active(): Series[] {
    // cut to this collection's own: past `count` are series a collection before last listed
    if (this.list.length !== this.count) this.list.length = this.count;
    return this.list;
  }

  /** Starts a collection: no series active yet. */
  begin(): void {
    this.list = this.spare ?? [];
    this.spare = undefined;
    this.count = 0;
  }

  /** The series `s` folds into (built on first sight of its key). */
  seriesOf(s: SocketRecord, inbound: boolean): Series {
    const key = this.keyer.key(s, inbound);
    let g = this.series.get(key);
    if (g === undefined) {
      const kept = flatCopy(key);
      this.series.set(kept, (g = new Series(kept, this.keyer.labels(s, inbound, kept), this.G, this.C, this.extras, this.numbers.take())));
    }
    return g;
  }

  /** Marks `g` active in collection `gen` taken at `at`: its per-collection numbers start from zero. */
  activate(g: Series, gen: number, at: number): void {
    if (g.gen === gen) return;
    g.begin(gen, at, this.G, this.C);
    this.list[this.count++] = g;
  }

  /**
   * Ends collection `gen` taken at `at`: series active in the last one and not in this one go
   * idle; idle series past the retention time, and the longest idle beyond `maxIdle`, are
   * forgotten. Work is proportional to what went idle.
   */
  forgetIdle(gen: number, at: number): void {
    const active = this.active;
    for (const g of this.prevActive) {
      if (g.gen !== gen) {
        g.idleSince = at;
        this.idle.push({ g, since: at });
      }
    }
    // the last collection's list was read by its own end (the cap's split, the families' emission,
    // none of which keeps it) and by the loop above: the next collection may write over it
    this.spare = this.prevActive;
    this.prevActive = active;
    const { retentionMs, maxIdle } = this.retention;
    let idleCount = this.series.size - active.length;
    while (this.idleHead < this.idle.length) {
      const { g, since } = this.idle[this.idleHead] as { g: Series; since: number };
      if (g.gen === gen || g.idleSince !== since || this.series.get(g.key) !== g) {
        this.idleHead++;
        continue;
      }
      if (at - since < retentionMs && idleCount <= maxIdle) break;
      this.series.delete(g.key);
      // a forgotten series is never written again: a socket's memo asks holds() (or finds it
      // two collections old) before folding into it, and no list keeps it past this collection
      this.numbers.give(g.buf);
      idleCount--;
      this.idleHead++;
    }
    if (this.idleHead > 1024 && this.idleHead * 2 > this.idle.length) {
      this.idle = this.idle.slice(this.idleHead);
      this.idleHead = 0;
    }
  }
}

/**
 * The same text in one piece. V8 keeps a string built with `+` or a template as a tree of its
 * parts (a raw_endpoint key is five such nodes over its pieces): kept for a series' life, the
 * tree held ~200 B more than the text itself, 12 MB at 60k series. A replace that matches only
 * the empty start builds a new, flat string (JSON.parse(JSON.stringify(k)) does as well, slower).
 */
function flatCopy(key: string): string {
  return key.replace(EMPTY_START, '');
}
const EMPTY_START = /^/;
