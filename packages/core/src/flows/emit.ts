import type { MetricFamily, Sample } from '../types/family.js';
import { familyOf } from './aggregates.js';
import type { FlowPlan } from './plan.js';
import { gaugeValue, type Series } from './series.js';

/**
 * Writes the per-flow families in catalog order: one sample per active series that had a
 * value this collection, then the `other` series when max_series folded some away. Counters
 * output their running totals (monotonic per label set). Values arrive already in the output
 * unit (the plan compiles compat readers with the compat scale).
 */
export function emitFlowFamilies(plan: FlowPlan, kept: readonly Series[], other: Series | undefined): MetricFamily[] {
  const { G, C, compat } = plan;
  const all = other ? [...kept, other] : kept;
  const out: MetricFamily[] = [];
  let k = -1; // flow family slot, for sample reuse
  for (const e of plan.enabled) {
    if (e.scope !== 'flow') continue;
    k++;
    const omitZero = compat && e.compat?.omitZero === true;
    const samples: Sample[] = [];
    if (e.aggregate === 'flow_count') {
      for (const g of all) samples.push(g.sample(k, g.count));
    } else if (e.kind === 'gauge') {
      const j = plan.gauges.indexOf(e);
      const merge = plan.gaugeMerge[j] as number;
      for (const g of all) {
        if ((g.buf[G + j] as number) === 0) continue;
        const v = gaugeValue(g.buf, G, j, merge);
        if (omitZero && v === 0) continue;
        samples.push(g.sample(k, v));
      }
    } else {
      const j = plan.counters.indexOf(e);
      for (const g of all) {
        if ((g.buf[2 * G + C + j] as number) === 0) continue;
        samples.push(g.sample(k, g.buf[2 * G + 2 * C + j] as number));
      }
    }
    out.push({ ...familyOf(e, compat), samples });
  }
  return out;
}
