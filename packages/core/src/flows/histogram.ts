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
