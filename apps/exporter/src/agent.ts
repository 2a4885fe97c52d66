import { createServer, type RequestListener, type Server } from 'node:http';
import {
  SockscopeError,
  canStream,
  collectSnapshot,
  compileConfigSchema,
  createPipeline,
  deepFreeze,
  errorMessage,
  parseDuration,
  type BuildInfo,
  type HealthRegistry,
  type Logger,
  type MetricFamily,
  type NamedCollector,
  type NamedEnricher,
  type Pipeline,
  type PluginContext,
  type PluginDefinition,
  type PluginKind,
  type PluginRegistry,
  type Sink,
  type Snapshot,
  type SocketFold,
} from '@sockscope/core';
import { SECTIONS } from './config/schema.js';
import type { AgentConfig, PluginEntry } from './config/types.js';
import { createHealthRegistry } from './health.js';

/** What {@link startAgent} needs. */
export interface AgentOptions {
  /** Validated config. */
  config: AgentConfig;
  /** Registry with built-in and third-party plugins. */
  registry: PluginRegistry;
  /** Root logger. */
  logger: Logger & { child(fields: Record<string, unknown>): Logger };
  /** Build facts. */
  build: BuildInfo;
  /** Turns a snapshot into families (host, flows, aggregates). */
  render: (snapshot: Snapshot) => MetricFamily[];
  /**
   * Folds socket records as they are read (the flow renderer), so a collection keeps none;
   * used unless `collection.streaming` is off or an enricher cannot stream. `render` then
   * gets snapshots that carry `folded` instead of sockets.
   */
  fold?: SocketFold;
  /** HTTP server factory for the Prometheus sink (TLS, basic auth). */
  createServer?: (listener: RequestListener) => Server;
  /** Plugins the environment turns on (e.g. OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  enabledByEnv?: ReadonlySet<string>;
  /** Conditions other parts report (e.g. the flow renderer's), shown in /health beside the agent's. */
  notices?: () => readonly string[];
  /** Self-metrics other components published in the health registry (e.g. OTLP export counts). */
  selfFamilies?: (health: HealthRegistry) => MetricFamily[];
}

/** A running agent. */
export interface Agent {
  /** The shared pipeline. */
  pipeline: Pipeline;
  /** Running sinks by name. */
  sinks: ReadonlyMap<string, Sink>;
  /** Conditions reported once. */
  notices(): readonly string[];
  /** Stops sinks (finishing in-flight work), then closes enrichers and collectors. */
  stop(): Promise<void>;
}

/** Which plugins of a kind are on: configured ones unless `enabled: false`, plus fitting defaults. */
export function enabledPlugins(registry: PluginRegistry, kind: PluginKind, entries: Record<string, PluginEntry>, byEnv: ReadonlySet<string> = new Set()): PluginDefinition[] {
  const defaults = new Set(registry.defaults(kind));
  return registry.list(kind).filter((d) => {
    const entry = entries[d.name];
    if (entry?.enabled === false) return false;
    if (entry !== undefined || byEnv.has(d.name)) {
      registry.assertPlatform(d);
      return true;
    }
    return defaults.has(d);
  });
}

/** Starts collectors, enrichers, the pipeline and the sinks described by the config. */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config, registry, logger, build } = opts;
  const notices: string[] = [];
  const reported = new Set<string>();
  const reportOnce = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    notices.push(message);
    logger.warn(message);
  };
  const pluginContext = <C>(def: PluginDefinition): PluginContext<C> => {
    const entry = { ...(config[SECTIONS[def.kind]][def.name] ?? {}) };
    delete entry.enabled;
    // Applies the plugin's own defaults: the composed schema only fills sections that were written.
    compileConfigSchema(def.configSchema, `${SECTIONS[def.kind]}.${def.name}`)(entry);
    return {
      config: deepFreeze(entry) as C,
      logger: logger.child({ [def.kind]: def.name }),
      platform: process.platform,
      reportOnce: (key, message) => reportOnce(`${def.name}:${key}`, `${def.kind} ${def.name}: ${message}`),
    };
  };
  const timeoutMs = parseDuration(config.collection.timeout);

  const collectors: NamedCollector[] = [];
  const started = new Set<string>();
  const startCollector = async (def: PluginDefinition): Promise<void> => {
    if (def.kind !== 'collector' || started.has(def.name)) return;
    started.add(def.name);
    try {
      collectors.push({ name: def.name, collector: await def.create(pluginContext(def)), timeoutMs });
    } catch (err) {
      if (def.fallback && registry.has('collector', def.fallback)) {
        reportOnce(`fallback:${def.name}`, `collector ${def.name} is unavailable (${errorMessage(err)}); falling back to ${def.fallback}`);
        await startCollector(registry.get('collector', def.fallback));
      } else {
        reportOnce(`start:${def.name}`, `collector ${def.name} could not start: ${errorMessage(err)}`);
      }
    }
  };
  for (const def of enabledPlugins(registry, 'collector', config.collectors, opts.enabledByEnv)) await startCollector(def);
  if (collectors.length === 0) {
    throw new SockscopeError('ERR_PLUGIN_CREATE', 'no collector could start: enable at least one collector that fits this host (see /health notices above)');
  }

  const enrichers: NamedEnricher[] = [];
  for (const def of orderEnrichers(enabledPlugins(registry, 'enricher', config.enrichers, opts.enabledByEnv))) {
    if (def.kind !== 'enricher') continue;
    try {
      enrichers.push({ name: def.name, enricher: await def.create(pluginContext(def)), timeoutMs });
    } catch (err) {
      reportOnce(`start:${def.name}`, `enricher ${def.name} could not start: ${errorMessage(err)}`);
    }
  }

  const streaming = config.collection.streaming !== 'off' && opts.fold !== undefined;
  const fold = streaming && canStream(enrichers) ? opts.fold : undefined;
  if (streaming && !fold) {
    const names = enrichers.filter((e) => typeof e.enricher.prepare !== 'function').map((e) => e.name);
    reportOnce('streaming', `collection.streaming: enricher ${names.join(', ')} cannot take records one by one, so every collection lists all socket records before folding them (more memory on a busy host)`);
  }
  const pipeline = createPipeline({
    collect: () => collectSnapshot(collectors, enrichers, { fold }),
    render: opts.render,
    minIntervalMs: parseDuration(config.collection.min_interval),
    notices: () => [...notices, ...(opts.notices?.() ?? [])],
  });
  const health = createHealthRegistry();
  const sinks = new Map<string, Sink>();
  try {
    for (const def of enabledPlugins(registry, 'sink', config.sinks, opts.enabledByEnv)) {
      if (def.kind !== 'sink') continue;
      const ctx = {
        ...pluginContext(def),
        pipeline,
        build,
        health,
        extraFamilies: () => opts.selfFamilies?.(health) ?? [],
        createServer: opts.createServer ?? ((l: RequestListener) => createServer(l)),
      };
      const sink = await def.create(ctx);
      await sink.start();
      sinks.set(def.name, sink);
    }
  } catch (err) {
    await Promise.allSettled([...sinks.values()].map((s) => s.stop()));
    await closeAll(collectors, enrichers);
    throw err;
  }
  logger.info('started', {
    streaming: fold !== undefined,
    node_flags: process.execArgv.join(' '),
    collectors: collectors.map((c) => c.name).join(','),
    enrichers: enrichers.map((e) => e.name).join(','),
    sinks: [...sinks.keys()].join(','),
  });

  let stopping: Promise<void> | undefined;
  return {
    pipeline,
    sinks,
    notices: () => [...notices, ...(opts.notices?.() ?? [])],
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled([...sinks.values()].map((s) => s.stop()));
        await closeAll(collectors, enrichers);
      })();
      return stopping;
    },
  };
}

async function closeAll(collectors: readonly NamedCollector[], enrichers: readonly NamedEnricher[]): Promise<void> {
  await Promise.allSettled([...enrichers.map((e) => e.enricher.close()), ...collectors.map((c) => c.collector.close())]);
}

/** Orders enrichers so each runs after the ones it names in `after` (when those are enabled). */
export function orderEnrichers(defs: PluginDefinition[]): PluginDefinition[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const out: PluginDefinition[] = [];
  const visiting = new Set<string>();
  const visit = (d: PluginDefinition) => {
    if (out.includes(d)) return;
    if (visiting.has(d.name)) throw new SockscopeError('ERR_CONFIG_INVALID', `enricher ${d.name} depends on itself through "after"`);
    visiting.add(d.name);
    for (const dep of (d.kind === 'enricher' ? d.after : undefined) ?? []) {
      const target = byName.get(dep);
      if (target) visit(target);
    }
    visiting.delete(d.name);
    out.push(d);
  };
  defs.forEach(visit);
  return out;
}
