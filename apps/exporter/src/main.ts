import { createRequire } from 'node:module';
import {
  SockscopeError,
  errorMessage,
  flowsConfigSchema,
  isSockscopeError,
  isSsExporterConfig,
  translateSsExporterConfig,
  validateFlowsConfig,
  type FlowsConfig,
  type PluginRegistry,
} from '@sockscope/core';
import { stringify } from 'yaml';
import { SECTIONS } from './config/schema.js';
import { otlpEnabledByEnv } from '@sockscope/sink-otlp';
import { parseListenAddress } from '@sockscope/sink-prometheus';
import { HELP, UsageError, parseArgs, type CliArgs } from './args.js';
import { startAgent, type Agent } from './agent.js';
import { builtinRegistry } from './builtins.js';
import { EMBEDDED_DEFAULT, readConfigFile, validateConfig, type ConfigTranslator } from './config/load.js';
import type { AgentConfig } from './config/types.js';
import { createLogger, type LogFormat, type LogLevel } from './logger.js';
import { loadWebConfig } from './web-config/index.js';
import { VERSION, buildInfo } from './version.js';

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
      io.out(HELP);
      return 0;
    case 'version':
      io.out(`sockscope ${VERSION} (node ${process.versions.node}, ${process.platform}/${process.arch})\n`);
      return 0;
    case 'check-config':
      return checkConfig(args, io);
    case 'migrate-config':
      return migrateConfig(args, io);
    default:
      return serve(args, io);
  }
}

async function loadRegistry(raw: Record<string, unknown>): Promise<PluginRegistry> {
  const registry = builtinRegistry();
  const plugins = Array.isArray(raw.plugins) ? raw.plugins : [];
  const require = createRequire(`${process.cwd()}/`);
  for (const name of plugins) {
    if (typeof name !== 'string') continue;
    await registry.load(name, async (pkg) => {
      // Resolve from the working directory first (plugins installed beside the deployment), then from sockscope.
      let target: string = pkg;
      try {
        target = require.resolve(pkg);
      } catch {
        /* fall back to sockscope's own resolution */
      }
      return import(target);
    });
  }
  return registry;
}

async function loadConfig(file: string | undefined): Promise<{ config: AgentConfig; registry: PluginRegistry; errors: string[]; warnings: string[] }> {
  const raw = file ? await readConfigFile(file) : structuredClone(EMBEDDED_DEFAULT) as Record<string, unknown>;
  const registry = await loadRegistry(raw);
  const { config, errors, warnings } = validateConfig(raw, registry, { flows: { ...flowsConfigSchema, default: {} } }, [ssExporterTranslator], [
    (c) => validateFlowsConfig(c.flows as Partial<FlowsConfig> | undefined, 'flows'),
    (c) => registry.configErrors({ collector: c.collectors, enricher: c.enrichers, sink: c.sinks }, SECTIONS),
  ]);
  return { config, registry, errors, warnings };
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
    for (const d of (err as SockscopeError).details) io.err(`  ${d}\n`);
  } else {
    io.err(`sockscope: ${errorMessage(err)}\n`);
  }
}

async function checkConfig(args: CliArgs, io: MainIo): Promise<number> {
  const file = args.configFile as string;
  try {
    const { errors, warnings } = await loadConfig(file);
    for (const w of warnings) io.err(`warning: ${w}\n`);
    if (errors.length > 0) {
      io.err(`${file}: ${errors.length} error${errors.length > 1 ? 's' : ''}\n`);
      for (const e of errors) io.err(`  ${e}\n`);
      return 2;
    }
    io.out(`${file}: valid\n`);
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
  let agent: Agent | undefined;
  let logger = createLogger(args.logLevel ?? 'info', args.logFormat ?? 'logfmt');
  // the config as the command line shapes it, at start and at every reload
  const load = async () => {
    const loaded = await loadConfig(args.configFile);
    if (loaded.errors.length === 0) applyListenFlags(loaded.config, args);
    return loaded;
  };
  // SIGHUP reloads the config as Prometheus does (it would kill the process without a handler)
  io.onSignal('SIGHUP', () => {
    if (!agent) return void logger.warn('SIGHUP before the agent started: ignored');
    logger.info('reloading config', { signal: 'SIGHUP', file: args.configFile ?? '(embedded default)' });
    void agent.reload();
  });
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
    const createServer = args.webConfigFile ? await loadWebConfig(args.webConfigFile, { onError: (m) => logger.warn(m) }) : undefined;
    agent = await startAgent({
      config,
      registry,
      logger,
      build: buildInfo(),
      createServer,
      enabledByEnv: new Set(otlpEnabledByEnv(process.env) ? ['otlp'] : []),
      loadConfig: load,
    });
  } catch (err) {
    printError(io, err);
    return isSockscopeError(err) && err.code === 'ERR_CONFIG_INVALID' ? 2 : 1;
  }
  const running = agent;
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal });
      running.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error('shutdown failed', { err: errorMessage(err) });
          resolve(1);
        },
      );
    };
    io.onSignal('SIGINT', () => shutdown('SIGINT'));
    io.onSignal('SIGTERM', () => shutdown('SIGTERM'));
  });
}

function applyListenFlags(config: AgentConfig, args: CliArgs): void {
  if (args.listenAddress === undefined && args.port === undefined) return;
  const sink = (config.sinks.prometheus ??= {});
  const address = args.listenAddress ?? (typeof sink.listen_address === 'string' ? sink.listen_address : ':8020');
  const { host } = parseListenAddress(address);
  sink.listen_address =
    args.port === undefined ? address : host === undefined ? `:${args.port}` : host.includes(':') ? `[${host}]:${args.port}` : `${host}:${args.port}`;
}
