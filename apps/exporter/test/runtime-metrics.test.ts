import { serializeFamilies } from '@sockscope/sink-prometheus';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRuntimeMetrics, registryFamilies } from '../src/runtime-metrics.js';

/** The samples of a text exposition, as `name{sorted labels}` → value (label order and comments aside). */
function seriesOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, m[3] as string);
  }
  return out;
}

// Moved from the Prometheus sink with the conversion (issue 14): the agent now reads prom-client's
// registry and provides its families to core, so every sink publishes them.
describe('registryFamilies', () => {
  // prom-client writes a histogram's last bucket as le="+Inf", a string Number() reads as NaN:
  // read as a bound, it made a bucket le="NaN" out of order in nodejs_gc_duration_seconds
  it("converts prom-client's counters, gauges and histograms into families that serialize to prom-client's own series and values", async () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'A counter.', labelNames: ['code'], registers: [registry] }).inc({ code: '200' }, 3);
    new Gauge({ name: 'g', help: 'A gauge.', labelNames: ['major'], registers: [registry] }).set({ major: 20 }, 1.5);
    const h = new Histogram({ name: 'h_seconds', help: 'A histogram.', labelNames: ['kind'], buckets: [0.001, 1, 5], registers: [registry] });
    h.observe({ kind: 'minor' }, 0.0005);
    h.observe({ kind: 'minor' }, 2);
    h.observe({ kind: 'major' }, 9);
    new Summary({ name: 's', help: 'A summary, which families cannot hold.', registers: [registry] }).observe(1);
    const families = await registryFamilies(registry);
    expect(families.map((f) => [f.name, f.type])).toEqual([['c_total', 'counter'], ['g', 'gauge'], ['h_seconds', 'histogram']]);
    expect(families[2]?.histograms).toEqual([
      { labels: { kind: 'minor' }, bounds: [0.001, 1, 5], counts: [1, 1, 2], sum: 2.0005, count: 2 },
      { labels: { kind: 'major' }, bounds: [0.001, 1, 5], counts: [0, 0, 0], sum: 9, count: 1 },
    ]);
    registry.removeSingleMetric('s');
    expect(seriesOf(serializeFamilies(families))).toEqual(seriesOf(await registry.metrics()));
  });
});

describe('createRuntimeMetrics', () => {
  it('gives process_* and nodejs_* once refreshed, without the three nodejs_active_*_total gauges', async () => {
    const runtime = createRuntimeMetrics();
    expect(runtime.families()).toEqual([]);
    await runtime.refresh();
    const all = runtime.families().map((f) => f.name);
    expect(all).toContain('process_cpu_user_seconds_total');
    expect(all).toContain('nodejs_gc_duration_seconds');
    expect(all.filter((n) => !/^(process_|nodejs_)/.test(n))).toEqual([]);
    expect(all.filter((n) => n.startsWith('nodejs_active_') && n.endsWith('_total'))).toEqual([]);
  });
});
