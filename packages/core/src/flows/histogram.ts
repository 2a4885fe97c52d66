import type { HistogramSample, Labels } from '../types/family.js';

/**
 * A histogram that lives as long as the metric fold: counts only grow, so buckets stay cumulative
 * and monotonic across scrapes (prometheus_ss_exporter rebuilt them from zero every scrape).
 */
export class CumulativeHistogram {
  /** Upper bounds, ascending. */
  readonly bounds: readonly number[];
  private readonly perBucket: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = Object.freeze([...bounds]);
    this.perBucket = new Float64Array(bounds.length);
  }

  /** Adds one observation. */
  observe(v: number): void {
    const b = this.bounds;
    // bucket lists are short (~15): a linear walk beats a binary search here
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    if (i < b.length) this.perBucket[i] = (this.perBucket[i] as number) + 1;
    this.sum += v;
    this.count++;
  }

  /** The histogram as a sample: cumulative counts per bound. */
  sample(labels: Labels = {}): HistogramSample {
    const counts: number[] = new Array<number>(this.bounds.length);
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.perBucket[i] as number;
      counts[i] = acc;
    }
    return { labels, bounds: this.bounds, counts, sum: this.sum, count: this.count };
  }
}

/**
 * A histogram of one folded series: observations of the collection open go to its deltas, which
 * join the totals only when the series keeps its own sample (or go to the `other` series' deltas
 * when the cap folds it), as counter deltas do. Buffer: [deltas B | delta sum | delta count |
 * totals B | total sum | total count], per bucket (not cumulative) until written.
 */
export class SeriesHistogram {
  readonly bounds: readonly number[];
  private readonly buf: Float64Array;
  private readonly width: number;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.width = bounds.length + 2;
    this.buf = new Float64Array(2 * this.width);
  }

  /** Adds one observation to the collection's deltas. */
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    const buf = this.buf;
    if (i < b.length) buf[i] = (buf[i] as number) + 1;
    buf[b.length] = (buf[b.length] as number) + v;
    buf[b.length + 1] = (buf[b.length + 1] as number) + 1;
  }

  /** Observations in the collection open. */
  get deltaCount(): number {
    return this.buf[this.width - 1] as number;
  }

  /** Observations ever kept in the totals. */
  get totalCount(): number {
    return this.buf[2 * this.width - 1] as number;
  }

  /** Clears the collection's deltas. */
  clearDelta(): void {
    this.buf.fill(0, 0, this.width);
  }

  /** Adds another histogram's deltas (same bounds) to this one's deltas. */
  addDeltaOf(from: SeriesHistogram): void {
    for (let i = 0; i < this.width; i++) this.buf[i] = (this.buf[i] as number) + (from.buf[i] as number);
  }

  /** Adds the deltas to the totals (and clears them, so applying twice never counts twice). */
  applyDelta(): void {
    const w = this.width;
    for (let i = 0; i < w; i++) this.buf[w + i] = (this.buf[w + i] as number) + (this.buf[i] as number);
    this.clearDelta();
  }

  /** The totals as a cumulative sample. */
  sample(labels: Labels): HistogramSample {
    const n = this.bounds.length;
    const w = this.width;
    const counts = new Array<number>(n);
    let acc = 0;
    for (let i = 0; i < n; i++) counts[i] = acc += this.buf[w + i] as number;
    return { labels, bounds: this.bounds, counts, sum: this.buf[w + n] as number, count: this.buf[w + n + 1] as number };
  }
}
