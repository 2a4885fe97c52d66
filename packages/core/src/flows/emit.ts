import type { HistogramSample, MetricFamily, Sample } from '../types/family.js';
import { familyOf, STATES } from './aggregates.js';
import type { FlowPlan } from './plan.js';
import type { Steps } from '../util/time-slice.js';
import { gaugeValue, type Series } from './series.js';

/** Series written between two steps of {@link emitFlowFamilySteps}. */
const STEP = 1024;

/**
 * Writes the per-flow families in catalog order: one sample per active series that had a
 * value this collection, then the `other` series when max_series folded some away. Counters
 * output their running totals (monotonic per label set). Values arrive already in the output
 * unit (the plan compiles compat readers with the compat scale).
 */
export function* emitFlowFamilySteps(plan: FlowPlan, kept: readonly Series[], other: Series | undefined): Steps<MetricFamily[]> {
  const { G, C, compat } = plan;
  const all = other ? [...kept, other] : kept;
  const out: MetricFamily[] = [];
  let k = -1; // flow family slot, for sample reuse
  let n = 0; // series written since the last step
  for (const e of plan.enabled) {
    if (e.scope !== 'flow') continue;
    k++;
    if (n > 0) {
      n = 0;
      yield;
    }
    const omitZero = compat && e.compat?.omitZero === true;
    const samples: Sample[] = [];
    if (e.aggregate === 'flow_count') {
      if (plan.stateLabel) {
        // one sample per state the series had sockets in (TIME_WAIT and SYN_RECV included)
        for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
          const st = g.states as Float64Array;
          for (let i = 0; i < st.length; i++) if ((st[i] as number) > 0) samples.push({ labels: g.labelsWith('state', STATES[i] as string), value: st[i] as number });
        }
      } else
        for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
          samples.push(g.sample(k, g.count));
        }
    } else if (e.aggregate === 'connection_duration') {
      const h = plan.hists.duration;
      const histograms: HistogramSample[] = [];
      for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
        const hist = g.hists[h];
        if (hist !== undefined && hist.totalCount > 0) histograms.push(hist.sample(g.labels));
      }
      out.push({ ...familyOf(e, compat), histograms });
      continue;
    } else if (e.aggregate === 'connect_failures') {
      // one sample per reason the series has counted (a series with no failure has none)
      for (const [j, reason] of [[plan.events.refused, 'refused'], [plan.events.timeout, 'timeout']] as const) {
        for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
          const total = g.buf[2 * G + 2 * C + j] as number;
          if (total > 0) samples.push({ labels: g.labelsWith('reason', reason), value: total });
        }
      }
    } else if (e.aggregate === 'connections_opened' || e.aggregate === 'connections_closed') {
      // every series in the collection, 0 included, so the first increment is not lost to rate()
      const j = e.aggregate === 'connections_opened' ? plan.events.opened : plan.events.closed;
      for (const g of all) {
        if (++n === STEP) {
            n = 0;
            yield;
          }
        samples.push(g.sample(k, g.buf[2 * G + 2 * C + j] as number));
      }
    } else if (e.kind === 'gauge') {
      const j = plan.gauges.indexOf(e);
      const merge = plan.gaugeMerge[j] as number;
      for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
        if ((g.buf[G + j] as number) === 0) continue;
        const v = gaugeValue(g.buf, G, j, merge);
        if (omitZero && v === 0) continue;
        samples.push(g.sample(k, v));
      }
    } else {
      const j = plan.counters.indexOf(e);
      for (const g of all) {
          if (++n === STEP) {
            n = 0;
            yield;
          }
        if ((g.buf[2 * G + C + j] as number) === 0) continue;
        samples.push(g.sample(k, g.buf[2 * G + 2 * C + j] as number));
      }
    }
    out.push({ ...familyOf(e, compat), samples });
  }
  return out;
}
