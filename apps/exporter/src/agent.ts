import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import {
  SockscopeError,
  createMetricFold,
  createPipeline,
  createPluginContext,
  createSelfMetrics,
  errorMessage,
  isSockscopeError,
  parseDuration,
  sampleCount,
  type BuildInfo,
  type CollectorDefinition,
  type CollectorStatus,
  type FlowsConfig,
  type Lifecycle,
  type Logger,
  type MetricFold,
  type NamedCollector,
  type NamedEnricher,
  type Pipeline,
  type PipelineParts,
  type PluginContext,
  type PluginDefinition,
  type PluginRegistry,
  type PortRange,
  type ReloadResult,
  type RenderedSnapshot,
  type Sink,
} from '@sockscope/core';
import { SECTIONS } from './config/schema.js';
import type { AgentConfig } from './config/types.js';
import { createHealthRegistry } from './health.js';
import { CONNECTIONS_VIEW_IDLE_MS, createConnectionsView } from './connections/view.js';

/** A config as loaded for a (re)start: validated, with the registry its plugins were loaded into. */
export interface LoadedConfig {
  /** The config, defaults applied (meaningful only without errors). */
  config: AgentConfig;
  /** Registry with built-in and the config's third-party plugins. */
  registry: PluginRegistry;
  /** Every problem as `path: message`; any one refuses the config. */
  errors: readonly string[];
  /** Worth a log line each (deprecated keys, the compat profile). */
  warnings: readonly string[];
}

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
  /** True when `createServer` adds TLS or authentication (`--web.config.file`): no open-bind warning then. */
  secured?: boolean;
  /** Plugins the environment turns on (e.g. OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  enabledByEnv?: ReadonlySet<string>;
  /**
   * Reads the config again for a reload (SIGHUP, `POST /-/reload`), exactly as at start (file,
   * validation, command-line overrides). Without it a reload is refused.
   */
  loadConfig?: () => Promise<LoadedConfig>;
  /**
   * Feed the live connections view (core's connections fold) with every shared collection;
   * default: when the Prometheus sink serves it (`sinks.prometheus.connections`, off by default).
   * `sockscope connections` sets it and starts no sink.
   */
  connectionsView?: boolean;
}

/** A running agent. */
export interface Agent {
  /** The shared pipeline. */
  pipeline: Pipeline;
  /** Running sinks by name. */
  sinks: ReadonlyMap<string, Sink>;
  /** Conditions reported once. */
  notices(): readonly string[];
  /** Settles when the start-up collection (run in the background once the sinks listen) is done. */
  firstCollection: Promise<void>;
  /**
   * Reads the config again: a valid one takes effect at the next collection (new collectors,
   * enrichers and, when `flows` changed, a new metric fold; the old ones closed after the switch;
   * sinks keep running with their config), an invalid one is refused with its errors and the
   * running config stays. Reloads run one at a time.
   */
  reload(): Promise<ReloadResult>;
  /** Stops sinks (finishing in-flight work), then closes enrichers and collectors. */
  stop(): Promise<void>;
}

/** Resolves a selection host name to every address it has (A and AAAA). */
async function resolveHost(name: string): Promise<string[]> {
  const found = await lookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** What one config starts: collectors (and those that could not start), enrichers, the metric fold. */
interface Generation {
  config: AgentConfig;
  collectors: NamedCollector[];
  startFailures: CollectorStatus[];
  enrichers: NamedEnricher[];
  fold: MetricFold;
  /** What the fold was built from (the flows config, the namespaces read): a reload keeps the fold while it is equal. */
  foldKey: string;
  /** Said once at the start of this generation: fallbacks, refused enrichers. */
  notices: string[];
}

/** A problem and its detail lines (e.g. every `path: message` of a refused config) as one line. */
function describe(err: unknown): string {
  const details = isSockscopeError(err) ? err.details : [];
  return details.length > 0 ? `${errorMessage(err)}: ${details.join('; ')}` : errorMessage(err);
}

/** JSON with sorted keys, to tell whether two parsed config sections differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Host families are published unless the config says otherwise (`host_families`); the
 * prometheus_ss_exporter profile publishes its own families and sockscope's self metrics only.
 */
export function publishesHostFamilies(config: AgentConfig): boolean {
  return config.host_families ?? (config.flows as { compat?: string } | undefined)?.compat !== 'prometheus_ss_exporter';
}

/**
 * Starts the plugins the registry enables for the config, the metric fold, the pipeline and the
 * sinks, then runs one collection in the background. Records travel one way: collectors stream
 * them through the enrichers into the metric fold, core renders the collection, the sinks
 * serialize it.
 */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { logger, build } = opts;
  const byEnv = opts.enabledByEnv ?? new Set<string>();
  // what plugins report once while they run (a missing capability): once per process lifetime
  const runtimeNotices: string[] = [];
  const reported = new Set<string>();
  const reportOnce = (key: string, message: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    runtimeNotices.push(message);
    logger.warn(message);
  };

  /** Starts what a config asks for; the previous generation's fold is reused when it was built from the same. */
  const startGeneration = async (config: AgentConfig, registry: PluginRegistry, previous?: Generation): Promise<Generation> => {
    const notices: string[] = [];
    const notice = (message: string) => {
      notices.push(message);
      logger.warn(message);
    };
    const ephemeralPorts = await hostEphemeralPorts();
    /** The plugin's context, after the plugin's own config check (`validateConfig`). */
    const contextOf = <C>(def: PluginDefinition): PluginContext<C> => {
      const entry = { ...(config[SECTIONS[def.kind]][def.name] ?? {}) };
      delete entry.enabled;
      // the direction enricher's ephemeral ports are the host's unless the config says otherwise
      if (def.kind === 'enricher' && def.name === 'direction' && entry.ephemeral_ports === undefined && ephemeralPorts) entry.ephemeral_ports = { ...ephemeralPorts };
      const ctx = createPluginContext<C>(def, entry, {
        logger: logger.child({ [def.kind]: def.name }),
        reportOnce: (key, message) => reportOnce(`${def.name}:${key}`, `${def.kind} ${def.name}: ${message}`),
      });
      const problems = (def.validateConfig as ((c: C) => string[]) | undefined)?.(ctx.config) ?? [];
      if (problems.length > 0) {
        const at = `${SECTIONS[def.kind]}.${def.name}`;
        throw new SockscopeError('ERR_CONFIG_INVALID', `config of ${def.kind} ${def.name} is invalid`, problems.map((p) => `${at}.${p}`));
      }
      return ctx;
    };
    const timeoutMs = parseDuration(config.collection.timeout);
    const gen: Generation = { config, collectors: [], startFailures: [], enrichers: [], fold: undefined as unknown as MetricFold, foldKey: '', notices };
    const startCollector = async (def: CollectorDefinition): Promise<void> => {
      if (gen.collectors.some((c) => c.name === def.name) || gen.startFailures.some((f) => f.name === def.name)) return;
      let ctx: PluginContext<unknown>;
      try {
        ctx = contextOf(def);
      } catch (err) {
        // a config the plugin refuses is the operator's to fix: no fallback hides it
        failCollector(def.name, err);
        return;
      }
      try {
        gen.collectors.push({ name: def.name, collector: await def.create(ctx), timeoutMs, provides: def.provides });
      } catch (err) {
        const fallback = registry.fallbackFor(def);
        if (fallback) {
          // its fallback publishes the sockets: a notice, not a failed collector (see README)
          notice(`collector ${def.name} is unavailable (${errorMessage(err)}); falling back to ${fallback.name}`);
          await startCollector(fallback);
        } else {
          failCollector(def.name, err);
        }
      }
    };
    const failCollector = (name: string, err: unknown) => {
      const s: CollectorStatus = { name, success: false, durationSeconds: 0, error: `could not start: ${describe(err)}` };
      if (isSockscopeError(err)) s.errorCode = err.code;
      gen.startFailures.push(s);
      logger.warn('collector could not start', { collector: name, err: describe(err), code: s.errorCode });
    };
    try {
      for (const def of registry.enabled('collector', config.collectors, byEnv)) await startCollector(def);
      if (gen.collectors.length === 0 && gen.startFailures.length === 0) {
        throw new SockscopeError('ERR_PLUGIN_CREATE', 'no collector could start: enable at least one collector that fits this host (see /health notices above)');
      }
      for (const def of registry.enabled('enricher', config.enrichers, byEnv)) {
        try {
          const enricher = await def.create(contextOf(def));
          if (typeof enricher?.prepare !== 'function') {
            await enricher?.close?.();
            throw new SockscopeError('ERR_PLUGIN_INVALID', 'it has no prepare(signal): enrichers take records one by one (the list form enrich(list) is gone); update the plugin');
          }
          gen.enrichers.push({ name: def.name, enricher, timeoutMs });
        } catch (err) {
          notice(`enricher ${def.name} could not start: ${describe(err)}`);
        }
      }
      const namespaces = namespacesRead(config, gen.collectors);
      gen.foldKey = canonical({ flows: config.flows ?? {}, namespaces, ephemeralPorts: ephemeralPorts ?? null });
      if (previous && previous.foldKey === gen.foldKey) {
        gen.fold = previous.fold;
      } else {
        gen.fold = createMetricFold(config.flows as Partial<FlowsConfig> | undefined, { resolveHost, namespaces, ephemeralPorts });
        for (const n of gen.fold.notices()) logger.warn(n);
      }
    } catch (err) {
      await closeAll(gen.collectors, gen.enrichers);
      throw err;
    }
    return gen;
  };

  // the live connections view: one fold for the agent's lifetime (its first sightings give age_seconds), fed beside the
  // metric fold; the agent's only while someone read it in the last CONNECTIONS_VIEW_IDLE_MS (it adds ~20 % to a scrape)
  const prom = opts.config.sinks.prometheus;
  const viewOn = opts.connectionsView ?? (prom?.connections === true && prom.enabled !== false);
  const views = viewOn ? { connections: createConnectionsView({ ephemeralPorts: await hostEphemeralPorts() }) } : undefined;
  const partsOf = (gen: Generation): PipelineParts => ({
    collectors: gen.collectors,
    startFailures: gen.startFailures,
    enrichers: gen.enrichers,
    metrics: gen.fold,
    views,
    viewsIdleMs: opts.connectionsView ? undefined : CONNECTIONS_VIEW_IDLE_MS,
    publishHost: publishesHostFamilies(gen.config),
    buffer: gen.config.collection.streaming === 'off',
    minIntervalMs: parseDuration(gen.config.collection.min_interval),
  });

  let current = await startGeneration(opts.config, opts.registry);

  // Collector state, to log each change once: ok → failed (warn), failed → ok (info).
  const ok = new Map<string, boolean>();
  const seedFailures = (gen: Generation) => gen.startFailures.forEach((f) => ok.set(f.name, false)); // logged when they failed to start
  seedFailures(current);
  const observe = (rendered: RenderedSnapshot) => {
    for (const s of rendered.snapshot.status) {
      const was = ok.get(s.name);
      const fields = { collector: s.name, duration_seconds: round(s.durationSeconds) };
      if (!s.success && was !== false) {
        logger.warn(s.errorCode === 'ERR_COLLECTOR_TIMEOUT' ? 'collector timed out' : 'collector failed', { ...fields, err: s.error, code: s.errorCode });
      } else if (s.success && was === false) {
        logger.info('collector recovered', fields);
      }
      ok.set(s.name, s.success);
    }
    logger.debug('collection', {
      sockets: rendered.socketCount,
      series: rendered.families.reduce((n, f) => n + sampleCount(f), 0),
      duration_seconds: round(rendered.snapshot.durationSeconds),
      collectors: rendered.snapshot.status.map((s) => `${s.name}=${round(s.durationSeconds)}s${s.success ? '' : '(failed)'}`).join(' '),
    });
  };

  // the runtime metrics' module (its event-loop monitor and GC observer) is loaded only when they are published
  const runtime = opts.config.sinks.prometheus?.process_metrics === false ? undefined : (await import('./runtime-metrics.js')).createRuntimeMetrics();
  const selfMetrics = createSelfMetrics();
  const notices = () => [...current.notices, ...runtimeNotices, ...current.fold.notices()];
  const pipeline = createPipeline({
    ...partsOf(current),
    selfMetrics,
    notices,
    onCollection: observe,
    onSelfMetricsError: (err) => reportOnce('runtime-metrics', `runtime metrics (process_*, nodejs_*) could not be read; the last values stay: ${describe(err)}`),
  });
  // The agent's Node runtime (process_* and nodejs_*) is one more self-metrics provider, so every
  // sink publishes it; sinks.prometheus.process_metrics: false (--web.disable-exporter-metrics)
  // leaves it out. Its values are read when a collection runs: the pipeline refreshes them beside
  // each collection it runs (not for one served from cache).
  if (runtime) selfMetrics.provide('runtime', runtime.families, runtime.refresh);
  let stopping: Promise<void> | undefined;
  let reloads: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<ReloadResult> => {
    const result = reloads.then(() => reloadNow());
    reloads = result.catch(() => undefined);
    return result;
  };
  const refuse = (errors: readonly string[]): ReloadResult => {
    logger.error('config reload refused; the running config stays', { errors: errors.join('; ') });
    return { ok: false, errors };
  };
  const reloadNow = async (): Promise<ReloadResult> => {
    if (stopping) return refuse(['the agent is stopping']);
    if (!opts.loadConfig) return refuse(['this agent was started without a config loader: nothing to reload']);
    let loaded: LoadedConfig;
    try {
      loaded = await opts.loadConfig();
    } catch (err) {
      return refuse([describe(err)]);
    }
    if (loaded.errors.length > 0) return refuse(loaded.errors);
    for (const w of loaded.warnings) logger.warn(w);
    const { config, registry } = loaded;
    const old = current;
    let next: Generation;
    try {
      next = await startGeneration(config, registry, old);
    } catch (err) {
      return refuse([describe(err)]);
    }
    const keepFold = next.fold === old.fold;
    if (stopping) {
      await closeAll(next.collectors, next.enrichers);
      return refuse(['the agent is stopping']);
    }
    const restartNeeded = restartOnly(old.config, config, registry, byEnv);
    if (restartNeeded.length > 0) {
      logger.warn('config reload: these settings take effect at restart; the running ones stay', { settings: restartNeeded.join(',') });
    }
    current = next;
    seedFailures(next);
    await pipeline.reconfigure(partsOf(next));
    await closeAll(old.collectors, old.enrichers);
    logger.info('config reloaded', {
      collectors: next.collectors.map((c) => c.name).join(','),
      failed: next.startFailures.map((f) => f.name).join(',') || undefined,
      enrichers: next.enrichers.map((e) => e.name).join(','),
      metric_fold: keepFold ? 'kept (per-flow counters continue)' : 'new (flows or namespaces changed: per-flow counters restart)',
    });
    return { ok: true, errors: [] };
  };
  const lifecycle: Lifecycle = { reload };

  const health = createHealthRegistry();
  const sinks = new Map<string, Sink>();
  try {
    for (const def of opts.registry.enabled('sink', opts.config.sinks, byEnv)) {
      const entry = { ...(opts.config.sinks[def.name] ?? {}) };
      delete entry.enabled;
      const base = createPluginContext(def, entry, { logger: logger.child({ sink: def.name }), reportOnce: (key, message) => reportOnce(`${def.name}:${key}`, `sink ${def.name}: ${message}`) });
      const problems = (def.validateConfig as ((c: unknown) => string[]) | undefined)?.(base.config) ?? [];
      if (problems.length > 0) throw new SockscopeError('ERR_CONFIG_INVALID', `config of sink ${def.name} is invalid`, problems.map((p) => `sinks.${def.name}.${p}`));
      const ctx = {
        ...base,
        pipeline,
        build,
        health,
        selfMetrics,
        lifecycle,
        createServer: opts.createServer ?? ((l: RequestListener) => createServer(l)),
        secured: opts.secured === true,
        plugins: pluginListing(opts.registry, opts.config, byEnv),
      };
      const sink = await def.create(ctx);
      await sink.start();
      sinks.set(def.name, sink);
    }
  } catch (err) {
    await Promise.allSettled([...sinks.values()].map((s) => s.stop()));
    await closeAll(current.collectors, current.enrichers);
    throw err;
  }
  logger.info('started', {
    version: build.version,
    revision: build.revision,
    streaming: opts.config.collection.streaming !== 'off',
    node_flags: process.execArgv.join(' '),
    collectors: current.collectors.map((c) => c.name).join(','),
    failed: current.startFailures.map((f) => f.name).join(',') || undefined,
    enrichers: current.enrichers.map((e) => e.name).join(','),
    sinks: [...sinks.keys()].join(','),
  });
  // one collection now, so /health and /-/ready answer for real within a second; the sinks already listen
  const firstCollection = pipeline.collect().then(
    () => undefined,
    (err: unknown) => logger.error('start-up collection failed', { err: describe(err) }),
  );

  return {
    pipeline,
    sinks,
    notices,
    firstCollection,
    reload,
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled([...sinks.values()].map((s) => s.stop()));
        await firstCollection;
        await reloads;
        await closeAll(current.collectors, current.enrichers);
      })();
      return stopping;
    },
  };
}

/**
 * Whether the socket collectors read one network namespace or several: a running collector whose
 * `namespaces` is set to anything but `own` (`collectors.linux-netlink.namespaces: all` or a list
 * of names) reads several, so the metric fold labels per-flow series with `netns`. A collector that
 * fell back (netlink → procfs tables) is not running, and its fallback reads its own namespace.
 */
function namespacesRead(config: AgentConfig, running: readonly { name: string }[]): 'one' | 'many' {
  const many = running.some((c) => {
    const ns = config.collectors[c.name]?.namespaces;
    return ns !== undefined && ns !== 'own';
  });
  return many ? 'many' : 'one';
}

/** The host's ephemeral ports (Linux's net.ipv4.ip_local_port_range); undefined elsewhere (core's default, 32768-60999, then). */
async function hostEphemeralPorts(): Promise<PortRange | undefined> {
  try {
    const [from, to] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (from === undefined || to === undefined || !Number.isInteger(from) || !Number.isInteger(to) || from < 1 || from > to || to > 65535) return undefined;
    return { from, to };
  } catch {
    return undefined;
  }
}

/** Which settings of a new config only a restart applies: the sinks (listeners, endpoints) and logging. */
function restartOnly(before: AgentConfig, after: AgentConfig, registry: PluginRegistry, byEnv: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const enabledSinks = (c: AgentConfig) => registry.enabled('sink', c.sinks, byEnv).map((d) => d.name);
  const sinkNames = new Set([...enabledSinks(before), ...enabledSinks(after), ...Object.keys(before.sinks), ...Object.keys(after.sinks)]);
  for (const name of sinkNames) if (canonical(before.sinks[name] ?? null) !== canonical(after.sinks[name] ?? null)) out.push(`sinks.${name}`);
  if (canonical(enabledSinks(before)) !== canonical(enabledSinks(after)) && out.length === 0) out.push('sinks');
  if (canonical(before.log ?? null) !== canonical(after.log ?? null)) out.push('log');
  return out;
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;

async function closeAll(collectors: readonly NamedCollector[], enrichers: readonly NamedEnricher[]): Promise<void> {
  await Promise.allSettled([...enrichers.map((e) => e.enricher.close()), ...collectors.map((c) => c.collector.close())]);
}

/** Every registered plugin with its description and whether this config turns it on, for the index page. */
function pluginListing(registry: PluginRegistry, config: AgentConfig, byEnv: ReadonlySet<string>): { kind: string; name: string; description: string; enabled: boolean }[] {
  const out: { kind: string; name: string; description: string; enabled: boolean }[] = [];
  for (const [kind, section] of [['collector', config.collectors], ['enricher', config.enrichers], ['sink', config.sinks]] as const) {
    let on: Set<string>;
    try {
      on = new Set(registry.enabled(kind, section, byEnv).map((d) => d.name));
    } catch {
      on = new Set();
    }
    for (const d of registry.list(kind)) out.push({ kind, name: d.name, description: d.description, enabled: on.has(d.name) });
  }
  return out;
}
