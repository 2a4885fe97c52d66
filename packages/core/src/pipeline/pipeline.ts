import type { Pipeline, RenderedSnapshot } from '../contracts/sink.js';
import type { MetricFamily } from '../types/family.js';
import type { Snapshot } from '../types/snapshot.js';

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** Produces a fresh snapshot (collectors + enrichers). */
  collect: () => Promise<Snapshot>;
  /** Turns a snapshot into metric families (host, flows, aggregates, collector families). */
  render: (snapshot: Snapshot) => MetricFamily[];
  /** A snapshot younger than this is served from cache, ms. */
  minIntervalMs: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Conditions reported once, for /health. */
  notices?: () => readonly string[];
}

/**
 * The shared collection pipeline: concurrent callers share one in-flight collection, and a
 * snapshot younger than the minimum interval is served from cache.
 */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const now = opts.now ?? Date.now;
  let latest: RenderedSnapshot | undefined;
  let latestAt = -Infinity;
  let inflight: Promise<RenderedSnapshot> | undefined;

  return {
    collect() {
      if (latest && now() - latestAt < opts.minIntervalMs) return Promise.resolve(latest);
      if (inflight) return inflight;
      inflight = (async () => {
        try {
          const snapshot = await opts.collect();
          const families = opts.render(snapshot);
          // Sinks get families, not records: a published snapshot keeps neither sockets nor the fold.
          const { folded, ...rest } = snapshot;
          const socketCount = folded?.socketCount ?? snapshot.sockets.length;
          const rendered: RenderedSnapshot = Object.freeze({ snapshot: { ...rest, sockets: [] }, socketCount, families });
          latest = rendered;
          latestAt = now();
          return rendered;
        } finally {
          inflight = undefined;
        }
      })();
      return inflight;
    },
    latest: () => latest,
    notices: () => opts.notices?.() ?? [],
  };
}
