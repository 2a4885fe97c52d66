import type { SourceReader } from '../catalog/source.js';
import type { MergeKind } from '../catalog/types.js';
import type { Labels } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { SeriesHistogram } from './histogram.js';
import type { FlowPlan } from './plan.js';

/** What a series holds beside its numbers: per-series histograms, and socket counts by state. */
export interface SeriesExtras {
  /** Bounds of each per-series histogram (the connection durations, the RTT split by the key), by slot. */
  histograms?: readonly (readonly number[])[];
  /** Number of socket states counted per series (`flows.state_label`), 0 or absent for none. */
  states?: number;
}

const NO_HISTS: Array<SeriesHistogram | undefined> = [];

/**
 * The numbers of a table's series, `size` doubles each, as views into shared Float64Arrays of
 * {@link SLAB_SERIES} series each. A Float64Array of its own per series also made an ArrayBuffer
 * object and a backing store per series: at 30,000 connections under raw_endpoint (60,000
 * series) the agent's peak RSS was 12–17 MB higher over 20 scrapes (263/265 vs 246/253 MB), at
 * the same CPU. A forgotten series' view goes back ({@link give}) and is handed out again zeroed,
 * so the arrays hold as many views as the most series the table held at once.
 */
export class SeriesNumbers {
  private slab: Float64Array | undefined;
  private at = 0;
  private readonly free: Float64Array[] = [];

  constructor(readonly size: number) {}

  /** A zeroed view of `size` doubles that no other series holds. */
  take(): Float64Array {
    const reused = this.free.pop();
    if (reused !== undefined) return reused.fill(0);
    if (this.slab === undefined || this.at + this.size > this.slab.length) {
      this.slab = new Float64Array(this.size * SLAB_SERIES);
      this.at = 0;
    }
    const view = this.slab.subarray(this.at, this.at + this.size);
    this.at += this.size;
    return view;
  }

  /** Takes back the view of a series that is forgotten: nothing may read or write it afterwards. */
  give(view: Float64Array): void {
    this.free.push(view);
  }

  /** Views handed back and not taken again (for tests). */
  get spare(): number {
    return this.free.length;
  }
}

/** Series per shared array of {@link SeriesNumbers} (256 × 45 doubles: 92 KB under raw_endpoint). */
export const SLAB_SERIES = 256;

/** Merge kinds as small integers for the hot loop. */
export const MERGE = { sum: 0, max: 1, min: 2, mean: 3, last: 4 } as const satisfies Record<MergeKind, number>;

/**
 * One folded series, kept across collections (its counter totals must survive). All numbers
 * live in one Float64Array laid out as [gauge values G | gauge counts G | counter deltas C |
 * counter counts C | counter totals C], so a new series is two allocations, not ten.
 */
export class Series {
  /** Series key (label join or packed flow label). */
  readonly key: string;
  /** Its labels, built once. */
  readonly labels: Labels;
  /** Generation (collection number) it was last active in. */
  gen = -1;
  /** Snapshot time it was last active, ms. */
  seenAt = 0;
  /** Snapshot time it went idle (no socket), ms; -1 while active or never idle. */
  idleSince = -1;
  /** Sockets folded into it in this collection. */
  count = 0;
  /** top_k score in this collection (worst RTT or retransmits). */
  score = 0;
  /** Collection it was last kept in under max_series (its own samples), -1 never; see CapSeats. */
  seatedGen = -1;
  /** The numbers; see the class comment. */
  readonly buf: Float64Array;
  /** Per-series histograms by slot (see {@link SeriesExtras}), made at their first observation ({@link hist}); until then a shared empty array (read it, never write it). */
  hists: Array<SeriesHistogram | undefined> = NO_HISTS;
  /** Bounds of each histogram slot. */
  private readonly histBounds: readonly (readonly number[])[];
  /** Sockets of the collection by state index (`flows.state_label`), undefined when off. */
  readonly states: Float64Array | undefined;

  /** `buf`: its numbers, zeroed, `2g + 3c` long (a {@link SeriesNumbers} view); a new array when not given. */
  constructor(key: string, labels: Labels, g: number, c: number, extras: SeriesExtras = {}, buf?: Float64Array) {
    this.key = key;
    this.labels = labels;
    this.buf = buf ?? new Float64Array(2 * g + 3 * c);
    this.histBounds = extras.histograms ?? [];
    // most series never observe a duration: their histograms, and the array of them, are made
    // when they do (an array per series was 60,000 arrays, 3 MB of heap, at 30,000 connections
    // under raw_endpoint)
    this.states = extras.states ? new Float64Array(extras.states) : undefined;
  }

  private extraLabels: Map<string, Labels> | undefined;

  /** Histogram slot h, made on first use. */
  hist(h: number): SeriesHistogram {
    if (this.hists === NO_HISTS) this.hists = new Array<SeriesHistogram | undefined>(this.histBounds.length);
    let x = this.hists[h];
    if (x === undefined) this.hists[h] = x = new SeriesHistogram(this.histBounds[h] as readonly number[]);
    return x;
  }

  /** Its labels with one more (`state`, `reason`), built once per value. */
  labelsWith(name: string, value: string): Labels {
    const key = name + '\u0001' + value;
    let l = (this.extraLabels ??= new Map()).get(key);
    if (l === undefined) this.extraLabels.set(key, (l = Object.freeze({ ...this.labels, [name]: value })));
    return l;
  }

  /** Clears the per-collection scratch (everything but the totals) and marks it active. */
  begin(gen: number, at: number, g: number, c: number): void {
    this.gen = gen;
    this.seenAt = at;
    this.count = 0;
    this.score = 0;
    this.buf.fill(0, 0, 2 * g + 2 * c);
    for (const h of this.hists) h?.clearDelta();
    this.states?.fill(0);
  }
}

/** Folds one gauge value into slot j of a series. */
export function mergeGauge(buf: Float64Array, g: number, j: number, merge: number, v: number): void {
  const n = buf[g + j] as number;
  const cur = buf[j] as number;
  if (n === 0 || merge === MERGE.last) buf[j] = v;
  else if (merge === MERGE.max) buf[j] = v > cur ? v : cur;
  else if (merge === MERGE.min) buf[j] = v < cur ? v : cur;
  else buf[j] = cur + v; // sum, and mean (divided by the count at output)
  buf[g + j] = n + 1;
}

/** Folds the gauge values of one socket into a series' buffer. */
export function addGauges(buf: Float64Array, s: SocketRecord, plan: FlowPlan): void {
  const { G, gaugeReaders, gaugeMerge } = plan;
  for (let j = 0; j < G; j++) {
    const v = (gaugeReaders[j] as SourceReader)(s);
    if (v !== undefined) mergeGauge(buf, G, j, gaugeMerge[j] as number, v);
  }
}

/** Adds a series' counter deltas of the collection to its running totals. */
export function applyDeltas(buf: Float64Array, g: number, c: number): void {
  for (let j = 0; j < c; j++) buf[2 * g + 2 * c + j] = (buf[2 * g + 2 * c + j] as number) + (buf[2 * g + j] as number);
}

/** Adds a series' deltas of the collection (counters and histograms) to its totals. */
export function applySeries(s: Series, g: number, c: number): void {
  applyDeltas(s.buf, g, c);
  for (const h of s.hists) h?.applyDelta();
}

/** Folds slot j of `from` (already merged) into `into`: used when a series goes to `other`. */
export function mergeSeriesGauge(into: Float64Array, from: Float64Array, g: number, j: number, merge: number): void {
  const n = from[g + j] as number;
  if (n === 0) return;
  const v = from[j] as number;
  const m = into[g + j] as number;
  if (m === 0 || merge === MERGE.last) into[j] = v;
  else if (merge === MERGE.max) into[j] = Math.max(into[j] as number, v);
  else if (merge === MERGE.min) into[j] = Math.min(into[j] as number, v);
  else into[j] = (into[j] as number) + v;
  into[g + j] = m + n;
}

/** The output value of gauge slot j. */
export function gaugeValue(buf: Float64Array, g: number, j: number, merge: number): number {
  const v = buf[j] as number;
  return merge === MERGE.mean ? v / (buf[g + j] as number) : v;
}

/**
 * Merges the series max_series folded away into `other` for collection `gen` taken at `at`:
 * gauges by their merge, counter deltas summed and added to its own running totals (so the
 * `other` series' counters are monotonic too).
 */
export function foldIntoOther(other: Series, folded: readonly Series[], plan: FlowPlan, gen: number, at: number): void {
  const { G, C, gaugeMerge } = plan;
  other.begin(gen, at, G, C);
  const into = other.buf;
  for (const g of folded) {
    other.count += g.count;
    for (let j = 0; j < G; j++) mergeSeriesGauge(into, g.buf, G, j, gaugeMerge[j] as number);
    for (let j = 0; j < C; j++) {
      into[2 * G + j] = (into[2 * G + j] as number) + (g.buf[2 * G + j] as number);
      into[2 * G + C + j] = (into[2 * G + C + j] as number) + (g.buf[2 * G + C + j] as number);
    }
    for (let h = 0; h < g.hists.length; h++) {
      const from = g.hists[h];
      if (from !== undefined && from.deltaCount > 0) other.hist(h).addDeltaOf(from);
    }
    if (other.states && g.states) for (let i = 0; i < other.states.length; i++) other.states[i] = (other.states[i] as number) + (g.states[i] as number);
  }
  applySeries(other, G, C);
}

/** Per flow family id, how many of the folded series had a value: what `sockscope_series_dropped` reports. */
export function countDropped(folded: readonly Series[], plan: FlowPlan): Map<string, number> {
  const { G, C } = plan;
  const m = new Map<string, number>();
  if (folded.length === 0) return m;
  plan.gauges.forEach((e, j) => m.set(e.id, folded.filter((g) => (g.buf[G + j] as number) > 0).length));
  plan.counters.forEach((e, j) => m.set(e.id, folded.filter((g) => (g.buf[2 * G + C + j] as number) > 0).length));
  m.set('flow_sockets', folded.length);
  // lifecycle families: opened and closed have a sample for every series, failures and durations when they had one
  const { events, hists } = plan;
  const had = (j: number) => (g: Series) => j >= 0 && (g.buf[2 * G + C + j] as number) > 0;
  for (const e of plan.lifecycle) {
    if (e.aggregate === 'connections_opened' || e.aggregate === 'connections_closed') m.set(e.id, folded.length);
    else if (e.aggregate === 'connect_failures') m.set(e.id, folded.filter((g) => had(events.refused)(g) || had(events.timeout)(g)).length);
    else if (e.aggregate === 'connection_duration') m.set(e.id, folded.filter((g) => (g.hists[hists.duration]?.deltaCount ?? 0) > 0).length);
  }
  if (hists.rtt >= 0 && plan.histogram) m.set(plan.histogram.entry.id, folded.filter((g) => (g.hists[hists.rtt]?.deltaCount ?? 0) > 0).length);
  return m;
}
