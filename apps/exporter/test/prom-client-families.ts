import type { HistogramSample, Labels, MetricFamily, Sample } from '@sockscope/core';
import type { Registry } from 'prom-client';

// The agent read its runtime metrics through a prom-client registry until issue 20 (it now reads
// them itself, src/runtime-metrics.ts). This is that conversion, kept for the tests: it turns a
// `collectDefaultMetrics` registry into the families the agent published then, the reference the
// agent's own families are compared with.

/**
 * Every metric of a prom-client registry as sockscope families (a summary is left out). The
 * registry is read as values and converted, rather than written in its own format: switching its
 * content type to OpenMetrics would rename its counters for good (prom-client strips `_total`
 * from the metric objects themselves).
 */
export async function registryFamilies(registry: Registry): Promise<MetricFamily[]> {
  return (await registry.getMetricsAsJSON()).flatMap(toFamily);
}
/** One metric as `getMetricsAsJSON()` gives it (prom-client does not export the type). */
type Json = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
type Value = Json['values'][number] & { metricName?: string };

function toLabels(raw: Partial<Record<string, string | number>> | undefined, drop?: string): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) if (k !== drop && v !== undefined) out[k] = String(v);
  return out;
}

/** One prom-client metric as a family; a summary, which sockscope's families cannot hold, is left out. */
function toFamily(m: Json): MetricFamily[] {
  // typed as a numeric enum, but the value is the type's name
  const type = String(m.type);
  const values: Value[] = m.values;
  if (type === 'gauge' || type === 'counter') {
    const samples: Sample[] = values.map((v) => ({ labels: toLabels(v.labels), value: v.value }));
    return [{ name: m.name, help: m.help, type, samples }];
  }
  if (type !== 'histogram') return [];
  // prom-client writes each series as its cumulative buckets (+Inf last), then _sum and _count
  const series = new Map<string, { labels: Labels; bounds: number[]; counts: number[]; sum: number; count: number }>();
  const of = (v: Value) => {
    const labels = toLabels(v.labels, 'le');
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels, bounds: [], counts: [], sum: 0, count: 0 }));
    return s;
  };
  for (const v of values) {
    const s = of(v);
    if (v.metricName === `${m.name}_sum`) s.sum = v.value;
    else if (v.metricName === `${m.name}_count`) s.count = v.value;
    else if (v.metricName === `${m.name}_bucket`) {
      const raw = (v.labels as Record<string, unknown>).le;
      // prom-client writes the last bound as the string '+Inf', which Number() does not read
      if (raw !== '+Inf' && raw !== Infinity) {
        s.bounds.push(Number(raw));
        s.counts.push(v.value);
      }
    }
  }
  const histograms: HistogramSample[] = [...series.values()];
  return [{ name: m.name, help: m.help, type: 'histogram', histograms }];
}
