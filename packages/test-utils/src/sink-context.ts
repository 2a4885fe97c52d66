import {
  createSelfMetrics,
  type BuildInfo,
  type CollectRequest,
  type HealthRegistry,
  type Lifecycle,
  type MetricFamily,
  type Pipeline,
  type ReloadResult,
  type RenderedSnapshot,
  type SinkContext,
} from '@sockscope/core';
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
  /** What each collect() call asked for (undefined for a plain collection), in order. */
  readonly requests: readonly (CollectRequest | undefined)[];
  /** Replaces what collect() does from the next call on. */
  answer(fn: (request?: CollectRequest) => Promise<RenderedSnapshot>): void;
}

/** Options of {@link controlledPipeline}. */
export interface ControlledPipelineOptions {
  /** What collectorNames() answers; none by default. */
  collectorNames?: readonly string[];
}

/**
 * Builds a {@link ControlledPipeline}; by default it answers an empty snapshot. `latest()` is
 * undefined until a plain collection (one without `collectors`) answered, as core's pipeline,
 * which neither shares nor caches a `collect[]` collection.
 */
export function controlledPipeline(
  fn: (request?: CollectRequest) => Promise<RenderedSnapshot> = async () => renderedSnapshot(),
  opts: ControlledPipelineOptions = {},
): ControlledPipeline {
  let current = fn;
  let collects = 0;
  const requests: (CollectRequest | undefined)[] = [];
  let latest: RenderedSnapshot | undefined;
  return {
    get collects() {
      return collects;
    },
    requests,
    answer: (next) => void (current = next),
    async collect(request?: CollectRequest) {
      collects++;
      requests.push(request);
      const rendered = await current(request);
      if (!request?.collectors) latest = rendered;
      return rendered;
    },
    latest: () => latest,
    notices: () => [],
    collectorNames: () => opts.collectorNames ?? [],
  };
}

/** A lifecycle whose reload answers what a test decides, counting the reloads asked for. */
export interface TestLifecycle extends Lifecycle {
  /** How many times reload() was called. */
  readonly reloads: number;
}

/** Builds a {@link TestLifecycle}; by default every reload succeeds. */
export function testLifecycle(answer: () => Promise<ReloadResult> = async () => ({ ok: true, errors: [] })): TestLifecycle {
  let reloads = 0;
  return {
    get reloads() {
      return reloads;
    },
    reload() {
      reloads++;
      return answer();
    },
  };
}

/** Build facts for tests. */
export const testBuild: BuildInfo = { version: '0.0.0-test', nodeVersion: process.version, platform: process.platform, arch: process.arch };

/**
 * A sink context around a config and a pipeline, with an in-memory health registry and logger and
 * core's self-metrics registry (what a sink provides there is in `ctx.selfMetrics.families()`).
 * The config is taken as given: schema defaults are not applied. `extra` adds or replaces
 * context fields (a `lifecycle`, or what a sink declares for itself).
 */
export function sinkTestContext<C>(
  config: C,
  pipeline: Pipeline,
  extra: Partial<Omit<SinkContext<C>, 'config' | 'pipeline' | 'logger'>> = {},
): SinkContext<C> & { notices: string[]; logger: ReturnType<typeof memoryLogger> } {
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
    ...extra,
  };
}
