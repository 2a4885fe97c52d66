import { columnarFamily, type HistogramSample, type Labels, type MetricFamily, type Sample } from '../types/family.js';
import { familyOf, STATES } from './aggregates.js';
import type { FlowPlan } from './plan.js';
import type { Steps } from '../util/time-slice.js';
import { gaugeValue, type Series } from './series.js';

/** Series written between two steps of {@link emitFlowFamilySteps}. */
const STEP = 1024;

const NO_VALUES = new Float64Array(0);

/** Writes series `g`'s value in a columnar family. */
function put(w: Writer, g: Series, v: number): void {
  if (w.labels !== undefined) w.labels[w.n] = g.labels;
  w.values[w.n++] = v;
}

/**
 * The family leaves the current series out: from here on it keeps a labels list of its own,
 * starting with those of the series before (it had every one of them, so they are the table's).
 */
function leaveOut(w: Writer, all: readonly Series[]): void {
  if (w.labels !== undefined) return;
  const labels = new Array<Labels>(all.length);
  for (let k = 0; k < w.n; k++) labels[k] = (all[k] as Series).labels;
  w.labels = labels;
}

/** What one flow family writes per series, as a small integer for the hot loop. */
const enum Kind {
  Count,
  CountByState,
  Duration,
  Failures,
  Event,
  Gauge,
  Counter,
}

/** One flow family being written: its kind, its slots, what it has so far. */
interface Writer {
  kind: Kind;
  /** Slot in the series buffer: gauge index, counter index or event index (by kind). */
  j: number;
  merge: number;
  omitZero: boolean;
  /** Samples of the kinds with several a series, or none (CountByState, Failures). */
  samples: Sample[];
  /**
   * Kinds with one sample a series at most: the columns, as long as the table, `n` written.
   * `labels` stays undefined while the family has every series so far (the families that have
   * them all share one list of the table's labels at the end): made at the first series it leaves out.
   */
  labels: Labels[] | undefined;
  values: Float64Array;
  n: number;
  /** Written as columns (`labels`, `values`, `n`). */
  sized: boolean;
  /** connect_failures: the timeout samples, written after every refused one. */
  more: Sample[];
  histograms: HistogramSample[];
}

/**
 * Writes the per-flow families in catalog order: one sample per active series that had a
 * value this collection, then the `other` series when max_series folded some away. Counters
 * output their running totals (monotonic per label set). Values arrive already in the output
 * unit (the plan compiles compat readers with the compat scale).
 *
 * Series by series, every family at once: a series' numbers are read while they are in the
 * CPU's cache, instead of once per family across the whole table. Yields every {@link STEP}
 * series so a caller can let the event loop run.
 */
export function* emitFlowFamilySteps(plan: FlowPlan, kept: readonly Series[], other: Series | undefined): Steps<MetricFamily[]> {
  const { G, C, compat } = plan;
  const all = other ? [...kept, other] : kept;
  const writers: Writer[] = [];
  const entries = plan.enabled.filter((e) => e.scope === 'flow');
  entries.forEach((e) => {
    const w: Writer = { kind: Kind.Counter, j: -1, merge: 0, omitZero: compat && e.compat?.omitZero === true, samples: [], labels: undefined, values: NO_VALUES, n: 0, sized: false, more: [], histograms: [] };
    if (e.aggregate === 'flow_count') w.kind = plan.stateLabel ? Kind.CountByState : Kind.Count;
    else if (e.aggregate === 'connection_duration') {
      w.kind = Kind.Duration;
      w.j = plan.hists.duration;
    } else if (e.aggregate === 'connect_failures') w.kind = Kind.Failures;
    else if (e.aggregate === 'connections_opened' || e.aggregate === 'connections_closed') {
      // every series in the collection, 0 included, so the first increment is not lost to rate()
      w.kind = Kind.Event;
      w.j = e.aggregate === 'connections_opened' ? plan.events.opened : plan.events.closed;
    } else if (e.kind === 'gauge') {
      w.kind = Kind.Gauge;
      w.j = plan.gauges.indexOf(e);
      w.merge = plan.gaugeMerge[w.j] as number;
    } else w.j = plan.counters.indexOf(e);
    // one sample a series at most: columns sized once, not grown by doubling while every family
    // grows at once (the garbage of 13 arrays regrown side by side cost ~20 MB of peak RSS at 60k
    // series), and no object a sample. Arrays this long live in V8's large-object space, freed
    // only by a full GC: one list of labels for all the families that have every series, not one each.
    if (w.kind === Kind.Count || w.kind === Kind.Event || w.kind === Kind.Gauge || w.kind === Kind.Counter) {
      w.values = new Float64Array(all.length);
      w.sized = true;
    }
    writers.push(w);
  });
  const { refused, timeout } = plan.events;
  const W = writers.length;
  for (let i = 0; i < all.length; i++) {
    if ((i & (STEP - 1)) === STEP - 1) yield;
    const g = all[i] as Series;
    const b = g.buf;
    for (let x = 0; x < W; x++) {
      const w = writers[x] as Writer;
      switch (w.kind) {
        case Kind.Count:
          put(w, g, g.count);
          break;
        case Kind.CountByState: {
          // one sample per state the series had sockets in (TIME_WAIT and SYN_RECV included)
          const st = g.states as Float64Array;
          for (let s = 0; s < st.length; s++) if ((st[s] as number) > 0) w.samples.push({ labels: g.labelsWith('state', STATES[s] as string), value: st[s] as number });
          break;
        }
        case Kind.Duration: {
          const hist = g.hists[w.j];
          if (hist !== undefined && hist.totalCount > 0) w.histograms.push(hist.sample(g.labels));
          break;
        }
        case Kind.Failures: {
          // one sample per reason the series has counted (a series with no failure has none)
          const r = refused >= 0 ? (b[2 * G + 2 * C + refused] as number) : 0;
          if (r > 0) w.samples.push({ labels: g.labelsWith('reason', 'refused'), value: r });
          const t = timeout >= 0 ? (b[2 * G + 2 * C + timeout] as number) : 0;
          if (t > 0) w.more.push({ labels: g.labelsWith('reason', 'timeout'), value: t });
          break;
        }
        case Kind.Event:
          put(w, g, b[2 * G + 2 * C + w.j] as number);
          break;
        case Kind.Gauge: {
          if ((b[G + w.j] as number) === 0) {
            leaveOut(w, all);
            break;
          }
          const v = gaugeValue(b, G, w.j, w.merge);
          if (w.omitZero && v === 0) {
            leaveOut(w, all);
            break;
          }
          put(w, g, v);
          break;
        }
        default:
          if ((b[2 * G + C + w.j] as number) === 0) {
            leaveOut(w, all);
            break;
          }
          put(w, g, b[2 * G + 2 * C + w.j] as number);
      }
    }
  }
  const out: MetricFamily[] = [];
  let every: Labels[] | undefined;
  entries.forEach((e, x) => {
    const w = writers[x] as Writer;
    if (w.sized) {
      let labels = w.labels;
      if (labels === undefined) labels = every ??= all.map((g) => g.labels);
      else labels.length = w.n;
      out.push(columnarFamily(familyOf(e, compat), { labels, values: w.values, length: w.n }));
    } else if (w.kind === Kind.Duration) out.push({ ...familyOf(e, compat), histograms: w.histograms });
    else out.push({ ...familyOf(e, compat), samples: w.kind === Kind.Failures ? w.samples.concat(w.more) : w.samples });
  });
  return out;
}
