import type { BuildInfo, HistogramSample, Labels, MetricFamily, Sample } from '@sockscope/core';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The families of the Node runtime serving the scrape: prom-client's `process_*` and `nodejs_*`
 * (when `processMetrics`), then `sockscope_build_info`, which is always there (node_exporter too
 * keeps its build info when `--web.disable-exporter-metrics` drops its process and Go metrics).
 *
 * prom-client's registry is read as values and converted to families, so both formats write it
 * with the same serializer as core's families. (Switching the registry's content type to
 * OpenMetrics instead would rename its counters for good: prom-client strips `_total` from the
 * metric objects themselves, and a concurrent text scrape would read them so.)
 */
export function runtimeFamilies(build: BuildInfo, processMetrics: boolean): () => Promise<MetricFamily[]> {
  const buildInfo: MetricFamily = {
    name: 'sockscope_build_info',
    help: 'A metric with a constant 1 labelled by the version of sockscope, Node.js, platform and architecture.',
    type: 'gauge',
    samples: [{ labels: { version: build.version, nodeversion: build.nodeVersion, platform: build.platform, arch: build.arch }, value: 1 }],
  };
  if (!processMetrics) return async () => [buildInfo];
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // These gauges end in _total, which promtool's lint flags; they are not worth the noise.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  return async () => [...(await registryFamilies(registry)), buildInfo];
}

/** Every metric of a prom-client registry as sockscope families (a summary is left out). */
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
