import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SockscopeError,
  errorMessage,
  flowsConfigSchema,
  isSockscopeError,
  isSsExporterConfig,
  translateSsExporterConfig,
  validateFlowsConfig,
  type FlowsConfig,
  type PluginDefinition,
  type PluginRegistry,
} from '@sockscope/core';
import { stringify } from 'yaml';
import { SECTIONS } from './config/schema.js';
import { otlpEnabledByEnv } from '@sockscope/sink-otlp';
import { UsageError, helpText, parseArgs, type CliArgs } from './args.js';
import { startAgent, type Agent } from './agent.js';
import { builtinRegistry } from './builtins.js';
import { applyConfigFlags, type ConfigFlags } from './config/flags.js';
import { EMBEDDED_DEFAULT, enabledPlugins, readConfigFile, readConfigFileInfo, validateConfig, type ConfigFile, type ConfigTranslator } from './config/load.js';
import { enablePackagePlugins, loadPluginPackages, type LoadedPackage } from './config/plugins.js';
import type { AgentConfig } from './config/types.js';
import { createLogger, type LogFormat, type LogLevel } from './logger.js';
import { loadWebConfig } from './web-config/index.js';
import { REVISION, VERSION, buildInfo } from './version.js';
import { stateSummary } from './signals.js';
import { runConnections } from './connections/command.js';
import { raiseCapabilities, type CapabilityReport } from './capabilities.js';
import { mallocArenaReport, type MallocArenaReport } from './malloc-arenas.js';

/** Output streams and process hooks, injectable for tests. */
export interface MainIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
  /** Registers a signal handler. */
  onSignal(signal: NodeJS.Signals, handler: () => void): void;
}

const defaultIo: MainIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  onSignal: (s, h) => void process.on(s, h),
};

/** Runs the CLI; resolves to the exit code (serve resolves after a clean shutdown). */
export async function main(argv: readonly string[], io: MainIo = defaultIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`sockscope: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  switch (args.command) {
    case 'help':
      io.out(helpText(await helpRegistry(args.configFile)));
      return 0;
    case 'version':
      io.out(`sockscope ${VERSION} (node ${process.versions.node}, ${process.platform}/${process.arch}, revision ${REVISION})\n`);
      return 0;
    case 'check-config':
      return checkConfig(args, io);
    case 'migrate-config':
      return migrateConfig(args, io);
    case 'plugins':
      return listPlugins(args, io);
    case 'connections': {
      // collected here, it reads /proc/<pid>/fd as the agent does: the same capabilities raised first
      const caps = await raiseCapabilities();
      if (caps.error) io.err(`sockscope: warning: capabilities: ${caps.error}\n`);
      return runConnections(args.connectionsArgv ?? [], {
        ...io,
        loadConfig: (configFile) => loadConfig({ configFile }),
        tty: process.stdout.isTTY ? { columns: process.stdout.columns } : undefined,
        env: process.env,
      });
    }
    default:
      return serve(args, io);
  }
}

/** sockscope's own directory: the last place third-party plugin packages are looked for. */
const OWN_DIR = dirname(fileURLToPath(import.meta.url));

/** What a config is loaded from: the file and the flags that set config keys. */
type ConfigSource = Pick<CliArgs, 'configFile'> & ConfigFlags;

/** A config loaded for a command: validated, flags applied, with the registry and plugin packages it loaded. */
interface Loaded {
  config: AgentConfig;
  registry: PluginRegistry;
  /** Every problem as `path: message` (plugin packages first). */
  errors: string[];
  warnings: string[];
  /** Third-party packages that loaded. */
  packages: LoadedPackage[];
  /** Plugins the environment turns on. */
  enabledByEnv: ReadonlySet<string>;
  /** Set when the file holds no settings (the embedded default applies). */
  noSettings?: ConfigFile['noSettings'];
}

/**
 * Reads the config file (or the embedded default), loads its plugin packages (from the file's
 * directory, then the working directory, then sockscope's own), turns on what they export,
 * applies the command-line flags over the file, and validates the result: schemas, registry
 * policy, durations and every enabled plugin's validateConfig. Throws for an unreadable file and
 * a UsageError for a flag naming an unknown collector.
 */
async function loadConfig(source: ConfigSource): Promise<Loaded> {
  const file = source.configFile;
  const { raw, noSettings } = file ? await readConfigFileInfo(file) : { raw: structuredClone(EMBEDDED_DEFAULT) as Record<string, unknown>, noSettings: undefined };
  const registry = builtinRegistry();
  const plugins = await loadPluginPackages(raw.plugins, registry, { configDir: file ? dirname(resolve(file)) : undefined, cwd: process.cwd(), ownDir: OWN_DIR });
  const enabledByEnv = new Set(otlpEnabledByEnv(process.env) ? ['otlp'] : []);
  const { config, errors, warnings } = validateConfig(
    raw,
    registry,
    { flows: { ...flowsConfigSchema, default: {} } },
    [ssExporterTranslator],
    [
      (c) => validateFlowsConfig(c.flows as Partial<FlowsConfig> | undefined, 'flows'),
      (c) => registry.configErrors({ collector: c.collectors, enricher: c.enrichers, sink: c.sinks }, SECTIONS),
    ],
    { enabledByEnv, overrides: [(c) => enablePackagePlugins(c, plugins.packages), (c) => applyConfigFlags(c, source, registry)] },
  );
  return { config, registry, errors: [...plugins.errors, ...errors], warnings, packages: plugins.packages, enabledByEnv, noSettings };
}

/** The registry `--help` lists: the built-ins, and the plugins of `--config` when it loads. */
async function helpRegistry(file: string | undefined): Promise<PluginRegistry> {
  const registry = builtinRegistry();
  if (!file) return registry;
  try {
    const raw = await readConfigFile(file);
    await loadPluginPackages(raw.plugins, registry, { configDir: dirname(resolve(file)), cwd: process.cwd(), ownDir: OWN_DIR });
  } catch {
    /* --help still prints the built-ins */
  }
  return registry;
}

/**
 * `sockscope plugins`: every built-in and loaded plugin with its kind, name, platforms, whether
 * the config and flags turn it on, where it comes from and its description. Exit 2 (after the
 * list) when the config has errors.
 */
async function listPlugins(args: CliArgs, io: MainIo): Promise<number> {
  let loaded: Loaded;
  try {
    loaded = await loadConfig(args);
  } catch (err) {
    printError(io, err);
    return 2;
  }
  const { config, registry, errors, warnings, packages, enabledByEnv } = loaded;
  const on = enabledPlugins(config, registry, enabledByEnv);
  const fromPackage = new Map<PluginDefinition, string>(packages.flatMap((p) => p.definitions.map((d) => [d, `package ${p.name}`] as [PluginDefinition, string])));
  const rows = [['KIND', 'NAME', 'PLATFORMS', 'STATE', 'FROM', 'DESCRIPTION']];
  for (const kind of ['collector', 'enricher', 'sink'] as const) {
    for (const def of registry.list(kind)) {
      const takesOver = kind === 'collector' && on.some((d) => d.kind === 'collector' && d.fallback === def.name);
      const state = on.includes(def) ? 'on' : takesOver ? 'fallback' : 'off';
      rows.push([kind, def.name, def.platforms.join(','), state, fromPackage.get(def) ?? 'built-in', def.description]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) io.out(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
  for (const w of warnings) io.err(`warning: ${w}\n`);
  if (errors.length > 0) {
    io.err(`${args.configFile ?? '(embedded default)'}: ${errors.length} error${errors.length > 1 ? 's' : ''}\n`);
    for (const e of errors) io.err(`  ${e}\n`);
    return 2;
  }
  return 0;
}

/** Reads prometheus_ss_exporter's `logic:` files as they are: they imply its compat profile. */
const ssExporterTranslator: ConfigTranslator = {
  detect: (raw) => isSsExporterConfig(raw),
  translate(raw) {
    try {
      const { flows, warnings } = translateSsExporterConfig(raw);
      return { config: { flows }, errors: [], warnings: ['prometheus_ss_exporter config: read with its compat profile (see `sockscope migrate-config`)', ...warnings] };
    } catch (err) {
      if (isSockscopeError(err) && err.details.length > 0) return { config: raw, errors: [...err.details], warnings: [] };
      throw err;
    }
  },
};

function printError(io: MainIo, err: unknown): void {
  if (isSockscopeError(err)) {
    io.err(`sockscope: ${err.message}\n`);
    // Node's own errors carry ERR_ codes too (OpenSSL's ERR_OSSL_…) but no details
    for (const d of (err as SockscopeError).details ?? []) io.err(`  ${d}\n`);
  } else {
    io.err(`sockscope: ${errorMessage(err)}\n`);
  }
}

async function checkConfig(args: CliArgs, io: MainIo): Promise<number> {
  const file = args.configFile as string;
  try {
    const { errors, warnings, noSettings } = await loadConfig(args);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    if (errors.length > 0) {
      io.err(`${file}: ${errors.length} error${errors.length > 1 ? 's' : ''}\n`);
      for (const e of errors) io.err(`  ${e}\n`);
      return 2;
    }
    // a file without settings runs the agent on the embedded default, as no file does: say so
    io.out(`${file}: valid${noSettings ? ` (${noSettings}: the embedded default)` : ''}\n`);
    return 0;
  } catch (err) {
    printError(io, err);
    return 2;
  }
}

async function migrateConfig(args: CliArgs, io: MainIo): Promise<number> {
  const file = args.configFile as string;
  try {
    const raw = await readConfigFile(file);
    if (!isSsExporterConfig(raw)) {
      io.err(`sockscope: ${file} is not a prometheus_ss_exporter config (no top-level "logic" key): it is already in sockscope's format\n`);
      return 2;
    }
    const { flows, warnings } = translateSsExporterConfig(raw);
    for (const w of warnings) io.err(`note: ${w}\n`);
    io.out(`# sockscope config migrated from the prometheus_ss_exporter config ${file}\n# check it with: sockscope check-config FILE\n`);
    io.out(stringify({ flows }, { lineWidth: 0 }));
    io.out(
      '# prometheus_ss_exporter published no host families, so this profile does not either; to publish\n' +
        "# sockscope's (node_*: interfaces, netstat, sockstat, conntrack, softnet) too, uncomment:\n" +
        '# host_families: true\n',
    );
    return 0;
  } catch (err) {
    printError(io, err);
    return 2;
  }
}

async function serve(args: CliArgs, io: MainIo): Promise<number> {
  // first, before any collector or worker thread: permitted capabilities made effective (the image)
  const caps = await raiseCapabilities();
  let agent: Agent | undefined;
  let logger = createLogger(args.logLevel ?? 'info', args.logFormat ?? 'logfmt');
  // the config as the command line shapes it, at start and at every reload
  const load = async () => {
    // the flags are applied over the file by loadConfig, so a reload keeps them
    return loadConfig(args);
  };
  // SIGHUP reloads the config as Prometheus does (it would kill the process without a handler)
  io.onSignal('SIGHUP', () => {
    if (!agent) return void logger.warn('SIGHUP before the agent started: ignored');
    logger.info('reloading config', { signal: 'SIGHUP', file: args.configFile ?? '(embedded default)' });
    void agent.reload();
  });
  // SIGUSR1 logs what the agent is doing; its listener also keeps Node's inspector from opening on it
  io.onSignal('SIGUSR1', () => {
    if (!agent) return void logger.info('state', { signal: 'SIGUSR1', agent: 'starting', inspector: 'off (SIGUSR1 logs this summary instead)' });
    logger.info('state', { signal: 'SIGUSR1', ...stateSummary(agent) });
  });
  // SIGINT/SIGTERM are handled from the start: one that comes while the agent is starting stops
  // it cleanly once it has started, instead of killing the process mid-start
  let early: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const stopSignal = (signal: string) => {
    if (onStop) return onStop(signal);
    if (early === undefined) logger.info('shutting down once started', { signal });
    early ??= signal;
  };
  io.onSignal('SIGINT', () => stopSignal('SIGINT'));
  io.onSignal('SIGTERM', () => stopSignal('SIGTERM'));
  try {
    const { config, registry, errors, warnings } = await load();
    if (errors.length > 0) {
      io.err(`sockscope: config ${args.configFile ?? '(embedded default)'} has ${errors.length} error${errors.length > 1 ? 's' : ''}\n`);
      for (const e of errors) io.err(`  ${e}\n`);
      return 2;
    }
    logger = createLogger(
      args.logLevel ?? (config.log?.level as LogLevel | undefined) ?? 'info',
      args.logFormat ?? (config.log?.format as LogFormat | undefined) ?? 'logfmt',
    );
    for (const w of warnings) logger.warn(w);
    logCapabilities(logger, caps);
    logMallocArenas(logger, mallocArenaReport());
    const createServer = args.webConfigFile ? await loadWebConfig(args.webConfigFile, { onError: (m) => logger.warn(m) }) : undefined;
    agent = await startAgent({
      config,
      registry,
      logger,
      build: buildInfo(),
      createServer,
      secured: createServer !== undefined,
      enabledByEnv: new Set(otlpEnabledByEnv(process.env) ? ['otlp'] : []),
      loadConfig: load,
    });
  } catch (err) {
    printError(io, err);
    // a config or flag mistake is a usage error (2); anything else failed at run time (1)
    return err instanceof UsageError || (isSockscopeError(err) && err.code === 'ERR_CONFIG_INVALID') ? 2 : 1;
  }
  const running = agent;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      // the sink cuts what is still in flight after its shutdown_timeout: a second signal changes nothing
      if (stopping) return void logger.info('already shutting down', { signal });
      stopping = true;
      logger.info('shutting down', { signal });
      running.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error('shutdown failed', { err: errorMessage(err) });
          resolve(1);
        },
      );
    };
    onStop = shutdown;
    if (early !== undefined) shutdown(early);
  });
}

/** What cli.js's limitMallocArenas did: debug, or a warning when mallopt failed (the agent runs as it is). */
function logMallocArenas(logger: ReturnType<typeof createLogger>, arenas: MallocArenaReport | undefined): void {
  if (!arenas) return;
  if ('error' in arenas) logger.warn(`malloc arenas: ${arenas.error}; memory is as without the limit`);
  else logger.debug('malloc arenas', 'limited' in arenas ? { limit: arenas.limited, glibc: arenas.glibc, mmap_trim_threshold: arenas.thresholds } : { limit: 'none', reason: arenas.skipped });
}

/** What raiseCapabilities did: info once when it raised some, a warning when it failed. */
function logCapabilities(logger: ReturnType<typeof createLogger>, caps: CapabilityReport): void {
  if (caps.error) logger.warn(`capabilities: ${caps.error}; the agent runs with what it has (deploy/README.md, "Capabilities")`);
  if (caps.raised.length > 0) logger.info('capabilities raised from the permitted set', { raised: caps.raised.join(',') });
  logger.debug('capabilities', { effective: [...caps.held, ...caps.raised].join(','), missing: caps.missing.join(',') });
}
