import { createPipeline, createPluginContext, createSelfMetrics, type Collector, type Fold, type MetricFamily, type Pipeline, type SelfMetrics, type SinkContext } from '@sockscope/core';
import { memoryHealth, memoryLogger, testBuild } from '@sockscope/test-utils';
import type { PrometheusSinkConfig } from '../src/config.js';
import { prometheusSink } from '../src/plugin.js';
import { createPrometheusSink, type PrometheusSinkInstance } from '../src/sink.js';

/**
 * A collector as a plugin would write one: it streams no socket, returns one gauge of its own, and
 * can be slowed down or told to fail. `calls` counts its collections. Its gauge is
 * `sockscope_<name>_value`, with `_` for what a metric name cannot hold (`linux_procfs`).
 */
export function inTestCollector(name: string, opts: { value?: number; fail?: boolean; delayMs?: number } = {}): Collector & { calls: number } {
  return {
    calls: 0,
    async stream() {
      this.calls++;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.fail) throw new Error(`${name} was told to fail`);
      return { families: [{ name: `sockscope_${name.replace(/\W/g, '_')}_value`, help: 'Configured test value.', type: 'gauge', samples: [{ labels: {}, value: opts.value ?? 1 }] }] };
    },
    async close() {},
  };
}

/** The metric fold of these tests: the given families, whatever the records (the collectors stream none). */
export function fixedFold(families: readonly MetricFamily[]): Fold<readonly MetricFamily[]> {
  return { begin() {}, add() {}, end: () => families };
}

/** A sink context the way the agent builds one: schema defaults applied, the pipeline, core's self-metrics registry, a memory logger. */
export function sinkContext(
  config: Partial<PrometheusSinkConfig>,
  pipeline: Pipeline,
  selfMetrics: SelfMetrics = createSelfMetrics(),
): SinkContext<PrometheusSinkConfig> & { logger: ReturnType<typeof memoryLogger> } {
  const logger = memoryLogger();
  return { ...createPluginContext(prometheusSink, config, { logger }), logger, pipeline, build: { ...testBuild, version: '0.1.0-test' }, health: memoryHealth(), selfMetrics };
}

/** Core's pipeline over in-test collectors (name → options) and a fold publishing `families`. */
export function corePipeline(collectors: Record<string, Parameters<typeof inTestCollector>[1]>, families: readonly MetricFamily[] = [], selfMetrics?: SelfMetrics) {
  const made = Object.fromEntries(Object.entries(collectors).map(([name, opts]) => [name, inTestCollector(name, opts)]));
  const pipeline = createPipeline({
    collectors: Object.entries(made).map(([name, collector]) => ({ name, collector, timeoutMs: 1000 })),
    enrichers: [],
    metrics: fixedFold(families),
    selfMetrics,
    minIntervalMs: 0,
  });
  return { pipeline, collectors: made };
}

/** Started sinks, stopped by {@link stopAll} (call it in afterEach). */
const started: PrometheusSinkInstance[] = [];

/** Creates and starts a sink on the context; its port is `port`. */
export async function startSink(ctx: SinkContext<PrometheusSinkConfig>): Promise<{ sink: PrometheusSinkInstance; port: number }> {
  const sink = createPrometheusSink(ctx);
  started.push(sink);
  await sink.start();
  return { sink, port: sink.address()?.port as number };
}

/** Stops every sink {@link startSink} started. */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()));
}

/**
 * Families shaped as the agent provides its Node runtime (prom-client's process_* and nodejs_*,
 * converted): the sink no longer writes them itself, it serializes them when core rendered them.
 */
export const RUNTIME_FAMILIES: readonly MetricFamily[] = [
  { name: 'process_cpu_user_seconds_total', help: 'Total user CPU time spent in seconds.', type: 'counter', samples: [{ labels: {}, value: 0.25 }] },
  { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: [{ labels: {}, value: 52428800 }] },
  { name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.', type: 'gauge', samples: [{ labels: {}, value: 8388608 }] },
  {
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    type: 'histogram',
    histograms: [{ labels: { kind: 'minor' }, bounds: [0.001, 0.01, 0.1, 1, 2, 5], counts: [3, 4, 4, 4, 4, 4], sum: 0.0042, count: 4 }],
  },
];

/** A self-metrics registry with the runtime families provided, as the agent does by default. */
export function selfMetricsWithRuntime(): SelfMetrics {
  const self = createSelfMetrics();
  self.provide('runtime', () => RUNTIME_FAMILIES);
  return self;
}
