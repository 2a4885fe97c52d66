import { lookup } from 'node:dns/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import {
  SockscopeError,
  createMetricFold,
  createPipeline,
  createPluginContext,
  createSelfMetrics,
  errorMessage,
  parseDuration,
  type BuildInfo,
  type CollectorDefinition,
  type FlowsConfig,
  type Logger,
  type NamedCollector,
  type NamedEnricher,
  type Pipeline,
  type PluginContext,
  type PluginDefinition,
  type PluginRegistry,
  type Sink,
} from '@sockscope/core';
import { SECTIONS } from './config/schema.js';
import type { AgentConfig } from './config/types.js';
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
  /** HTTP server factory for the Prometheus sink (TLS, basic auth). */
  createServer?: (listener: RequestListener) => Server;
  /** Plugins the environment turns on (e.g. OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  enabledByEnv?: ReadonlySet<string>;
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

/** Resolves a selection host name to every address it has (A and AAAA). */
async function resolveHost(name: string): Promise<string[]> {
  const found = await lookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/**
 * Starts the plugins the registry enables for the config, the metric fold, the pipeline and the
 * sinks. Records travel one way: collectors stream them through the enrichers into the metric
 * fold, core renders the collection, the sinks serialize it.
 */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config, registry, logger, build } = opts;
  const byEnv = opts.enabledByEnv ?? new Set<string>();
  const notices: string[] = [];
  const reported = new Set<string>();
  const reportOnce = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    notices.push(message);
    logger.warn(message);
  };
  const contextOf = <C>(def: PluginDefinition): PluginContext<C> => {
    const entry = { ...(config[SECTIONS[def.kind]][def.name] ?? {}) };
    delete entry.enabled;
    return createPluginContext<C>(def, entry, {
      logger: logger.child({ [def.kind]: def.name }),
      reportOnce: (key, message) => reportOnce(`${def.name}:${key}`, `${def.kind} ${def.name}: ${message}`),
    });
  };
  const timeoutMs = parseDuration(config.collection.timeout);

  const collectors: NamedCollector[] = [];
  const startCollector = async (def: CollectorDefinition): Promise<void> => {
    if (collectors.some((c) => c.name === def.name)) return;
    try {
      collectors.push({ name: def.name, collector: await def.create(contextOf(def)), timeoutMs });
    } catch (err) {
      const fallback = registry.fallbackFor(def);
      if (fallback) {
        reportOnce(`fallback:${def.name}`, `collector ${def.name} is unavailable (${errorMessage(err)}); falling back to ${fallback.name}`);
        await startCollector(fallback);
      } else {
        reportOnce(`start:${def.name}`, `collector ${def.name} could not start: ${errorMessage(err)}`);
      }
    }
  };
  for (const def of registry.enabled('collector', config.collectors, byEnv)) await startCollector(def);
  if (collectors.length === 0) {
    throw new SockscopeError('ERR_PLUGIN_CREATE', 'no collector could start: enable at least one collector that fits this host (see /health notices above)');
  }

  const enrichers: NamedEnricher[] = [];
  for (const def of registry.enabled('enricher', config.enrichers, byEnv)) {
    try {
      const enricher = await def.create(contextOf(def));
      if (typeof enricher?.prepare !== 'function') {
        await enricher?.close?.();
        throw new SockscopeError('ERR_PLUGIN_INVALID', 'it has no prepare(signal): enrichers take records one by one (the list form enrich(list) is gone); update the plugin');
      }
      enrichers.push({ name: def.name, enricher, timeoutMs });
    } catch (err) {
      reportOnce(`start:${def.name}`, `enricher ${def.name} could not start: ${errorMessage(err)}`);
    }
  }

  const metrics = createMetricFold(config.flows as Partial<FlowsConfig> | undefined, { resolveHost });
  for (const n of metrics.notices()) logger.warn(n);
  const selfMetrics = createSelfMetrics();
  const allNotices = () => [...notices, ...metrics.notices()];
  const buffer = config.collection.streaming === 'off';
  const pipeline = createPipeline({ collectors, enrichers, metrics, selfMetrics, buffer, minIntervalMs: parseDuration(config.collection.min_interval), notices: allNotices });
  const health = createHealthRegistry();
  const sinks = new Map<string, Sink>();
  try {
    for (const def of registry.enabled('sink', config.sinks, byEnv)) {
      const ctx = { ...contextOf(def), pipeline, build, health, selfMetrics, createServer: opts.createServer ?? ((l: RequestListener) => createServer(l)) };
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
    streaming: !buffer,
    node_flags: process.execArgv.join(' '),
    collectors: collectors.map((c) => c.name).join(','),
    enrichers: enrichers.map((e) => e.name).join(','),
    sinks: [...sinks.keys()].join(','),
  });

  let stopping: Promise<void> | undefined;
  return {
    pipeline,
    sinks,
    notices: allNotices,
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
