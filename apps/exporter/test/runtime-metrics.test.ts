import { serializeFamilies } from '@sockscope/sink-prometheus';
import { readdirSync, readFileSync } from 'node:fs';
import type { MetricFamily } from '@sockscope/core';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRuntimeMetrics, maxOpenFiles, statusMemory } from '../src/runtime-metrics.js';
import { registryFamilies } from './prom-client-families.js';

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

/** Each family's name, type, help and the label names of its series (sorted, deduplicated). */
function shapes(families: readonly MetricFamily[]): Array<[string, string, string, string[]]> {
  return families.map((f) => {
    const labelSets = (f.type === 'histogram' ? f.histograms ?? [] : f.samples ?? []).map((s) => Object.keys(s.labels).sort().join(','));
    return [f.name, f.type, f.help, [...new Set(labelSets)].sort()];
  });
}

const byName = (families: readonly MetricFamily[], name: string) => families.find((f) => f.name === name) as MetricFamily;
const valueOf = (families: readonly MetricFamily[], name: string) => byName(families, name).samples?.[0]?.value as number;

// Issue 20: the agent reads its runtime metrics itself instead of through a prom-client registry
// (whose read was ~0.9 ms of a host-only scrape). What it publishes must stay prom-client's: the
// same families in the same order, with the same help, types, labels and meanings. The reference
// is a real collectDefaultMetrics registry in this same process, read as the agent read it before.
describe('createRuntimeMetrics against prom-client', () => {
  it("publishes prom-client's default families (less the three _total gauges) in its order, with its help, types and label names", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
    const runtime = createRuntimeMetrics();
    // garbage, so that both see GCs (nodejs_gc_duration_seconds has series only after one)
    let keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
    keep = [];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runtime.refresh();
    const ours = runtime.families();
    const theirs = await registryFamilies(registry);
    expect(keep).toEqual([]);
    expect(shapes(ours)).toEqual(shapes(theirs));
    expect(byName(ours, 'nodejs_gc_duration_seconds').histograms?.length).toBeGreaterThan(0);
  });

  it('reads the same values where they do not move between two reads, and the same magnitudes where they do', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const runtime = createRuntimeMetrics();
    await runtime.refresh();
    const ours = runtime.families();
    const theirs = await registryFamilies(registry);
    for (const name of ['process_start_time_seconds', 'process_max_fds']) expect(valueOf(ours, name), name).toBe(valueOf(theirs, name));
    expect(byName(ours, 'nodejs_version_info').samples).toEqual(byName(theirs, 'nodejs_version_info').samples);
    expect(byName(ours, 'nodejs_heap_space_size_total_bytes').samples?.map((s) => s.labels)).toEqual(byName(theirs, 'nodejs_heap_space_size_total_bytes').samples?.map((s) => s.labels));
    // bytes, not kB or pages: within a factor of 2 of prom-client's read a moment apart
    for (const name of ['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes']) {
      const [a, b] = [valueOf(ours, name), valueOf(theirs, name)];
      expect(a, name).toBeGreaterThan(b / 2);
      expect(a, name).toBeLessThan(b * 2);
    }
    // the CPU counters count from their creation, as prom-client's: at most the process's own total
    const total = process.cpuUsage();
    expect(valueOf(ours, 'process_cpu_user_seconds_total')).toBeLessThanOrEqual(total.user / 1e6);
    expect(valueOf(ours, 'process_cpu_seconds_total')).toBeCloseTo(valueOf(ours, 'process_cpu_user_seconds_total') + valueOf(ours, 'process_cpu_system_seconds_total'), 9);
    expect(valueOf(ours, 'process_open_fds')).toBeGreaterThan(2);
    expect(valueOf(ours, 'process_open_fds')).toBeLessThanOrEqual(readdirSync('/proc/self/fd').length);
  });

  it('publishes the event-loop lag measured after the previous refresh, and the delay statistics since it', async () => {
    const runtime = createRuntimeMetrics();
    await runtime.refresh();
    expect(valueOf(runtime.families(), 'nodejs_eventloop_lag_seconds')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await runtime.refresh();
    const f = runtime.families();
    expect(valueOf(f, 'nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    // the monitor samples every 10 ms: 60 ms gave it samples, each about its interval
    expect(valueOf(f, 'nodejs_eventloop_lag_min_seconds')).toBeGreaterThan(0.005);
    expect(valueOf(f, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(valueOf(f, 'nodejs_eventloop_lag_p99_seconds'));
    expect(valueOf(f, 'nodejs_eventloop_lag_p50_seconds')).toBeGreaterThanOrEqual(valueOf(f, 'nodejs_eventloop_lag_min_seconds'));
  });
});

describe('statusMemory and maxOpenFiles', () => {
  // Fixtures: a node process's /proc/self/status and /proc/self/limits, captured on this project's
  // Linux dev machine (kernel 6.18) for this test
  const fixture = (name: string) => readFileSync(new URL(`./fixtures/runtime/${name}`, import.meta.url), 'utf8');
  it('reads VmSize, VmRSS and VmData in bytes, and Max open files', () => {
    expect(statusMemory(fixture('proc-self-status.txt'))).toEqual({ VmSize: 728236 * 1024, VmRSS: 40540 * 1024, VmData: 48604 * 1024 });
    expect(statusMemory('VmRSS:\t 4 kB')).toEqual({ VmRSS: 4096 });
    expect(statusMemory('Name:\tnode\n')).toEqual({});
    expect(maxOpenFiles(fixture('proc-self-limits.txt'))).toBe(20000);
    expect(maxOpenFiles('Limit  Soft Limit\n')).toBeUndefined();
  });
});
