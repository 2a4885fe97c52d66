import type { Fold } from '../contracts/fold.js';
import type { CollectRequest, Pipeline, RenderedSnapshot, SelfMetrics } from '../contracts/sink.js';
import { SockscopeError } from '../errors.js';
import { renderCollection } from '../render/collection.js';
import type { MetricFamily } from '../types/family.js';
import { collect, type NamedCollector, type NamedEnricher } from './collect.js';

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** Collectors, each with its timeout. */
  collectors: readonly NamedCollector[];
  /** Enrichers, in the order they run. */
  enrichers: readonly NamedEnricher[];
  /** The metric fold (the flow renderer): per-flow families and socket aggregates. */
  metrics: Fold<readonly MetricFamily[]>;
  /** What components publish about themselves, rendered into every collection. */
  selfMetrics?: SelfMetrics;
  /** Buffer each collection's records and replay them (`collection.streaming: off`). */
  buffer?: boolean;
  /** A snapshot younger than this is served from cache, ms. */
  minIntervalMs: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Conditions reported once, for /health. */
  notices?: () => readonly string[];
}

/**
 * The shared collection pipeline: one collection streams through the folds, core renders what is
 * published, and sinks read the result. Concurrent callers share one in-flight collection, and a
 * snapshot younger than the minimum interval is served from cache.
 */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const now = opts.now ?? Date.now;
  let latest: RenderedSnapshot | undefined;
  let latestAt = -Infinity;
  let inflight: Promise<RenderedSnapshot> | undefined;
  const run = async (collectors: readonly NamedCollector[]): Promise<RenderedSnapshot> => {
    const collection = await collect(collectors, opts.enrichers, { metrics: opts.metrics }, { buffer: opts.buffer });
    const families = renderCollection(collection, opts.selfMetrics?.families() ?? []);
    const { folds: _folds, ...snapshot } = collection;
    return Object.freeze({ snapshot, socketCount: snapshot.socketCount, families });
  };
  return {
    collect(request?: CollectRequest) {
      if (request?.collectors) {
        const known = opts.collectors.map((c) => c.name);
        const unknown = request.collectors.filter((n) => !known.includes(n));
        if (unknown.length > 0) {
          return Promise.reject(new SockscopeError('ERR_PIPELINE_UNKNOWN_COLLECTOR', `no collector ${unknown.map((n) => `"${n}"`).join(', ')} in this agent; running: ${known.join(', ')}`));
        }
        const only = new Set(request.collectors);
        return run(opts.collectors.filter((c) => only.has(c.name)));
      }
      if (latest && now() - latestAt < opts.minIntervalMs) return Promise.resolve(latest);
      if (inflight) return inflight;
      inflight = (async () => {
        try {
          const rendered = await run(opts.collectors);
          latest = rendered;
          latestAt = now();
          return rendered;
        } finally {
          inflight = undefined;
        }
      })();
      return inflight;
    },
    collectorNames: () => opts.collectors.map((c) => c.name),
    latest: () => latest,
    notices: () => opts.notices?.() ?? [],
  };
}

/** A registry of self-metric providers, for the agent to hand to its sinks. */
export function createSelfMetrics(): SelfMetrics {
  const providers = new Map<string, () => readonly MetricFamily[]>();
  return {
    provide: (component, families) => void providers.set(component, families),
    families: () => [...providers.values()].flatMap((f) => [...f()]),
  };
}
