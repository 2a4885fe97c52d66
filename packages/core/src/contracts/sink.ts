import type { MetricFamily } from '../types/family.js';
import type { Snapshot } from '../types/snapshot.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';

/** A collection as sinks publish it: the snapshot and every family core rendered from it. */
export interface RenderedSnapshot {
  /** The snapshot (socket records are never kept: folds consumed them as they were read). */
  snapshot: Snapshot;
  /** How many socket records the collection streamed. */
  socketCount: number;
  /** Everything published: flows and aggregates, host, collector families, collector status, self metrics. */
  families: readonly MetricFamily[];
  /**
   * What the pipeline's other folds (`PipelineParts.views`) made of this collection, by name —
   * `connections`: the live connections snapshot (a `ConnectionsSnapshot`); absent when none ran.
   */
  views?: Readonly<Record<string, unknown>>;
}

/** Options of one {@link Pipeline.collect} call. */
export interface CollectRequest {
  /**
   * Only these collectors (by plugin name; enrichers always run), as node_exporter's `collect[]`
   * scrape parameter: a collection of its own, neither shared with others nor cached. Unknown
   * names are refused with ERR_PIPELINE_UNKNOWN_COLLECTOR naming the known ones.
   */
  collectors?: readonly string[];
  /**
   * The answer must carry the pipeline's views (`RenderedSnapshot.views`): a cached or in-flight
   * collection without them is not used, a new shared one feeds them (and, with
   * `PipelineParts.viewsIdleMs`, so do the shared collections of the next `viewsIdleMs`).
   */
  views?: boolean;
}

/** What a sink reads from: the shared collection pipeline. */
export interface Pipeline {
  /** Returns a fresh rendered snapshot, sharing an in-flight collection and honouring the minimum interval. */
  collect(request?: CollectRequest): Promise<RenderedSnapshot>;
  /** Names of the collectors a collection runs (for `collect[]` and the index page). */
  collectorNames(): readonly string[];
  /** The last rendered snapshot, if any cycle finished. */
  latest(): RenderedSnapshot | undefined;
  /** Conditions reported once (missing capabilities, fallbacks), for /health. */
  notices(): readonly string[];
}

/** Build facts for `sockscope_build_info` and the OTLP resource. */
export interface BuildInfo {
  /** sockscope version. */
  version: string;
  /** Git revision sockscope was built from (`unknown` when the build could not tell). */
  revision?: string;
  /** Node.js version running it. */
  nodeVersion: string;
  /** Platform it runs on. */
  platform: string;
  /** CPU architecture. */
  arch: string;
}

/** What a sink's `create` receives beyond the common context. */
export interface SinkContext<C> extends PluginContext<C> {
  /** The shared pipeline to read snapshots from. */
  pipeline: Pipeline;
  /** Build facts. */
  build: BuildInfo;
  /** Health facts of other sinks, merged into /health by sinks that serve it. */
  health: HealthRegistry;
  /** Where a sink registers metrics about itself (e.g. OTLP export counts); core renders them for every sink. */
  selfMetrics: SelfMetrics;
  /** The agent's lifecycle actions a sink may offer (`POST /-/reload`); absent for a library user. */
  lifecycle?: Lifecycle;
}

/** What a config reload answered. */
export interface ReloadResult {
  /** True when the new config took effect (at the next collection). */
  ok: boolean;
  /** Every problem of a refused config as `path: message`; the old config stays. */
  errors: readonly string[];
}

/** Lifecycle actions of the running agent. */
export interface Lifecycle {
  /** Re-reads the config file; a valid one takes effect at the next collection, an invalid one is refused. */
  reload(): Promise<ReloadResult>;
}

/** Families components publish about themselves, rendered by core into every collection. */
export interface SelfMetrics {
  /**
   * Registers (or replaces) a component's families, read at every render; `refresh`, when given,
   * is awaited before each collection that will be rendered (never for one served from cache),
   * for a source that reads its values asynchronously.
   */
  provide(component: string, families: () => readonly MetricFamily[], refresh?: () => Promise<void>): void;
  /** Every registered component's families, in registration order. */
  families(): MetricFamily[];
  /** Runs every provider's refresh (a failing one keeps its last values; its error is returned). */
  refresh(): Promise<unknown[]>;
}

/** Lets sinks publish their own health facts (e.g. OTLP's last export error). */
export interface HealthRegistry {
  /** Sets a component's health fields. */
  set(component: string, facts: Record<string, unknown>): void;
  /** All components' facts. */
  all(): Record<string, Record<string, unknown>>;
}

/** A running sink. */
export interface Sink {
  /** Starts publishing (listen, start timers). */
  start(): Promise<void>;
  /** Stops accepting work, finishes what is in flight, then resolves. */
  stop(): Promise<void>;
}

/** A sink plugin definition. */
export interface SinkDefinition<C = Record<string, unknown>> extends PluginDefinitionBase<C> {
  /** Always `sink`. */
  kind: 'sink';
  /** Builds an instance. */
  create(ctx: SinkContext<C>): Sink | Promise<Sink>;
}

/** Defines a sink plugin, filling in kind and core major. */
export function defineSink<C = Record<string, unknown>>(
  def: Omit<SinkDefinition<C>, 'kind' | 'coreMajor'> & { coreMajor?: number },
): SinkDefinition<C> {
  return Object.freeze({ coreMajor: CORE_MAJOR, ...def, kind: 'sink' as const });
}
