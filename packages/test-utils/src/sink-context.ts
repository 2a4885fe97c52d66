import { createSelfMetrics, type BuildInfo, type HealthRegistry, type MetricFamily, type Pipeline, type RenderedSnapshot, type SinkContext } from '@sockscope/core';
import { memoryLogger } from './collector-suite.js';

/** A health registry that keeps facts in memory, as the app's does. */
export function memoryHealth(): HealthRegistry {
  const facts: Record<string, Record<string, unknown>> = {};
  return {
    set: (component, f) => void (facts[component] = { ...f }),
    all: () => facts,
  };
}

/** A rendered snapshot publishing the given families, of a collection that streamed no socket. */
export function renderedSnapshot(families: readonly MetricFamily[] = [], timestamp = Date.now()): RenderedSnapshot {
  return { snapshot: { timestamp, durationSeconds: 0, socketCount: 0, host: {}, families: [], status: [] }, socketCount: 0, families };
}

/** A pipeline whose answer a test decides and changes, counting the collections asked for. */
export interface ControlledPipeline extends Pipeline {
  /** How many times collect() was called. */
  readonly collects: number;
  /** Replaces what collect() does from the next call on. */
  answer(fn: () => Promise<RenderedSnapshot>): void;
}

/** Builds a {@link ControlledPipeline}; by default it answers an empty snapshot. */
export function controlledPipeline(fn: () => Promise<RenderedSnapshot> = async () => renderedSnapshot()): ControlledPipeline {
  let current = fn;
  let collects = 0;
  let latest: RenderedSnapshot | undefined;
  return {
    get collects() {
      return collects;
    },
    answer: (next) => void (current = next),
    async collect() {
      collects++;
      latest = await current();
      return latest;
    },
    latest: () => latest,
    notices: () => [],
    collectorNames: () => [],
  };
}

/** Build facts for tests. */
export const testBuild: BuildInfo = { version: '0.0.0-test', nodeVersion: process.version, platform: process.platform, arch: process.arch };

/**
 * A sink context around a config and a pipeline, with an in-memory health registry and logger and
 * core's self-metrics registry (what a sink provides there is in `ctx.selfMetrics.families()`).
 * The config is taken as given: schema defaults are not applied.
 */
export function sinkTestContext<C>(config: C, pipeline: Pipeline): SinkContext<C> & { notices: string[]; logger: ReturnType<typeof memoryLogger> } {
  const notices: string[] = [];
  const seen = new Set<string>();
  return {
    config,
    logger: memoryLogger(),
    platform: process.platform,
    pipeline,
    build: testBuild,
    health: memoryHealth(),
    selfMetrics: createSelfMetrics(),
    notices,
    reportOnce(key, message) {
      if (seen.has(key)) return;
      seen.add(key);
      notices.push(message);
    },
  };
}
