import type { Fold } from '../contracts/fold.js';
import type { CollectRequest, Pipeline, RenderedSnapshot, SelfMetrics } from '../contracts/sink.js';
import { SockscopeError } from '../errors.js';
import { renderCollection } from '../render/collection.js';
import type { MetricFamily } from '../types/family.js';
import type { CollectorStatus } from '../types/snapshot.js';
import { collect, type NamedCollector, type NamedEnricher } from './collect.js';

/** What a config decides of the pipeline: the parts {@link ReconfigurablePipeline.reconfigure} swaps. */
export interface PipelineParts {
  /** Collectors, each with its timeout. */
  collectors: readonly NamedCollector[];
  /** Enrichers, in the order they run. */
  enrichers: readonly NamedEnricher[];
  /** The metric fold (the flow renderer): per-flow families and socket aggregates. */
  metrics: Fold<readonly MetricFamily[]>;
  /**
   * More folds fed by every shared collection beside the metric fold (the live connections view:
   * `{ connections: createConnectionsFold(…) }`); what each returned is the rendered snapshot's
   * `views[name]`. `collect[]` collections leave them out (they read only some collectors).
   */
  views?: Readonly<Record<string, Fold<unknown>>>;
  /**
   * When set, the views join a shared collection only within this long (ms) after a caller asked
   * for them (`collect({ views: true })`): a view nobody reads then costs the scrapes nothing.
   * Unset: every shared collection feeds them.
   */
  viewsIdleMs?: number;
  /**
   * Collectors that could not start (their `create()` threw or their config was refused): each is
   * added to every collection's status as it is given (`success: false` with its error), so
   * `sockscope_scrape_collector_success{collector}` is 0 and /health names it, every collection.
   */
  startFailures?: readonly CollectorStatus[];
  /**
   * Render the host families (node_exporter's names, from what collectors return as host stats);
   * default true. False under the prometheus_ss_exporter profile, whose output is its own families
   * plus sockscope's self metrics.
   */
  publishHost?: boolean;
  /** Buffer each collection's records and replay them (`collection.streaming: off`). */
  buffer?: boolean;
  /** A snapshot younger than this is served from cache, ms. */
  minIntervalMs: number;
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions extends PipelineParts {
  /** What components publish about themselves, rendered into every collection. */
  selfMetrics?: SelfMetrics;
  /** Clock, for tests. */
  now?: () => number;
  /** Conditions reported once, for /health. */
  notices?: () => readonly string[];
  /**
   * Called with every finished collection (shared, and each `collect[]` one), before callers get
   * it: the agent logs collector state changes and a debug summary here. What it throws is ignored.
   */
  onCollection?: (rendered: RenderedSnapshot) => void;
  /** Called with what a self-metrics refresh threw (its provider keeps its last values). */
  onSelfMetricsError?: (err: unknown) => void;
}

/** A pipeline whose parts can be swapped while sinks keep reading it (a config reload). */
export interface ReconfigurablePipeline extends Pipeline {
  /**
   * Collections that start from now on use `parts`; one in flight finishes with the parts it
   * started with, and the cached snapshot is no longer served (it stays `latest()` until the next
   * collection replaces it). Resolves once no collection uses the previous parts any more, so the
   * caller may close what it does not reuse.
   */
  reconfigure(parts: PipelineParts): Promise<void>;
}

/**
 * The shared collection pipeline: one collection streams through the folds, core renders what is
 * published, and sinks read the result. Concurrent callers share one in-flight collection, and a
 * snapshot younger than the minimum interval is served from cache. Collections run one at a time
 * (a `collect[]` collection waits for the shared one): the metric fold is never open twice.
 */
export function createPipeline(opts: PipelineOptions): ReconfigurablePipeline {
  const now = opts.now ?? Date.now;
  let parts: PipelineParts = opts;
  let latest: RenderedSnapshot | undefined;
  let latestAt = -Infinity;
  let inflight: Promise<RenderedSnapshot> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `job` after every job queued before it. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const result = queue.then(job);
    queue = result.catch(() => undefined);
    return result;
  };
  const failedNames = () => (parts.startFailures ?? []).map((s) => s.name);
  /** One collection with the parts current when it starts; says which parts it used. */
  // when a caller last asked for the views (PipelineParts.viewsIdleMs)
  let viewsAskedAt = -Infinity;
  let inflightViews = false;
  const viewsActive = () => parts.views !== undefined && (parts.viewsIdleMs === undefined || now() - viewsAskedAt < parts.viewsIdleMs);
  const run = (only?: ReadonlySet<string>, withViews = true): Promise<{ rendered: RenderedSnapshot; used: PipelineParts }> =>
    serial(async () => {
      const p = parts;
      const collectors = only ? p.collectors.filter((c) => only.has(c.name)) : p.collectors;
      // a collect[] collection touches the shared fold only when a record comes (it keeps the
      // fold's socket memory: a host-only collection would otherwise forget every socket)
      // (and, when it leaves out a collector that may read sockets, it cannot tell a gone socket)
      const metrics = only ? lazyFold(p.metrics, p.collectors.every((c) => only.has(c.name) || (c.provides !== undefined && !c.provides.includes('sockets')))) : p.metrics;
      // self metrics read asynchronously are read beside the collection, so both are as fresh
      const views = only || !withViews ? {} : (p.views ?? {});
      const [collection, refreshErrors] = await Promise.all([collect(collectors, p.enrichers, { ...views, metrics }, { buffer: p.buffer }), opts.selfMetrics?.refresh() ?? []]);
      for (const err of refreshErrors) opts.onSelfMetricsError?.(err);
      const failures = (p.startFailures ?? []).filter((s) => !only || only.has(s.name));
      const withFailures = failures.length > 0 ? { ...collection, status: [...collection.status, ...failures] } : collection;
      const families = renderCollection(withFailures, opts.selfMetrics?.families() ?? [], { host: p.publishHost ?? true });
      const { folds, ...snapshot } = withFailures;
      const made = Object.keys(views).length > 0 ? Object.fromEntries(Object.keys(views).map((k) => [k, (folds as Record<string, unknown>)[k]])) : undefined;
      const rendered: RenderedSnapshot = Object.freeze(made ? { snapshot, socketCount: snapshot.socketCount, families, views: made } : { snapshot, socketCount: snapshot.socketCount, families });
      try {
        opts.onCollection?.(rendered);
      } catch {
        /* the hook's own failure must not fail the collection */
      }
      return { rendered, used: p };
    });
  const pipeline: ReconfigurablePipeline = {
    collect(request?: CollectRequest): Promise<RenderedSnapshot> {
      if (request?.collectors) {
        const known = [...parts.collectors.map((c) => c.name), ...failedNames()];
        const unknown = request.collectors.filter((n) => !known.includes(n));
        if (unknown.length > 0) {
          return Promise.reject(new SockscopeError('ERR_PIPELINE_UNKNOWN_COLLECTOR', `no collector ${unknown.map((n) => `"${n}"`).join(', ')} in this agent; running: ${known.join(', ')}`));
        }
        return run(new Set(request.collectors)).then((r) => r.rendered);
      }
      const wantViews = request?.views === true && parts.views !== undefined;
      if (wantViews) viewsAskedAt = now();
      // a snapshot without the views does not answer a caller asking for them: a new collection does
      if (latest && now() - latestAt < parts.minIntervalMs && (!wantViews || latest.views)) return Promise.resolve(latest);
      if (inflight) return wantViews && !inflightViews ? inflight.then(() => pipeline.collect(request), () => pipeline.collect(request)) : inflight;
      const withViews = viewsActive();
      inflightViews = withViews;
      inflight = (async () => {
        try {
          const { rendered, used } = await run(undefined, withViews);
          latest = rendered;
          // a collection that started before a reconfigure is shown, but not served from cache
          latestAt = used === parts ? now() : -Infinity;
          return rendered;
        } finally {
          inflight = undefined;
        }
      })();
      return inflight;
    },
    collectorNames: () => [...parts.collectors.map((c) => c.name), ...failedNames()],
    latest: () => latest,
    notices: () => opts.notices?.() ?? [],
    reconfigure(next: PipelineParts) {
      parts = next;
      latestAt = -Infinity;
      // queued behind every collection that may still hold the previous parts
      return serial(async () => undefined);
    },
  };
  return pipeline;
}

/**
 * A fold that is begun only when its first record comes; ended without one, it returns nothing.
 * `whole`: every collector that may read sockets runs, else the collection is partial.
 */
function lazyFold(fold: Fold<readonly MetricFamily[]>, whole: boolean): Fold<readonly MetricFamily[]> {
  let at = 0;
  let begun = false;
  return {
    begin: (timestamp) => void (at = timestamp),
    add(s) {
      if (!begun) fold.begin(at);
      begun = true;
      fold.add(s);
    },
    end: (complete) => (begun ? fold.end(complete && whole) : []),
    endSliced: async (complete, slice) => {
      if (!begun) return [];
      return fold.endSliced ? fold.endSliced(complete && whole, slice) : fold.end(complete && whole);
    },
  };
}

/** A registry of self-metric providers, for the agent to hand to its sinks. */
export function createSelfMetrics(): SelfMetrics {
  const providers = new Map<string, { families: () => readonly MetricFamily[]; refresh?: () => Promise<void> }>();
  return {
    provide: (component, families, refresh) => void providers.set(component, { families, refresh }),
    families: () => [...providers.values()].flatMap((p) => [...p.families()]),
    async refresh() {
      const settled = await Promise.allSettled([...providers.values()].map((p) => p.refresh?.()));
      return settled.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    },
  };
}
