import type { MetricFamily } from '../types/family.js';
import type { Snapshot } from '../types/snapshot.js';
import { CORE_MAJOR, type PluginContext, type PluginDefinitionBase } from './plugin.js';

/** A snapshot together with the metric families rendered from it (host, flows, aggregates). */
export interface RenderedSnapshot {
  /**
   * The snapshot, without its socket records: once rendered they are not kept, since they are
   * most of a cycle's memory (tens of MB at 60,000 sockets) and sinks publish families.
   */
  snapshot: Snapshot;
  /** How many socket records the snapshot had. */
  socketCount: number;
  /** Every family the pipeline renders from it, in catalog order. */
  families: readonly MetricFamily[];
}

/** What a sink reads from: the shared collection pipeline. */
export interface Pipeline {
  /** Returns a fresh rendered snapshot, sharing an in-flight collection and honouring the minimum interval. */
  collect(): Promise<RenderedSnapshot>;
  /** The last rendered snapshot, if any cycle finished. */
  latest(): RenderedSnapshot | undefined;
  /** Conditions reported once (missing capabilities, fallbacks), for /health. */
  notices(): readonly string[];
}

/** Build facts for `sockscope_build_info` and the OTLP resource. */
export interface BuildInfo {
  /** sockscope version. */
  version: string;
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
  /** Families other parts of the agent publish about themselves (e.g. OTLP export counters). */
  extraFamilies?: () => MetricFamily[];
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
