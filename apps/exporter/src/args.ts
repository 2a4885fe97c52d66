import { closest, fitsPlatform, parseDuration, type PluginRegistry } from '@sockscope/core';
import { parseListenAddress } from '@sockscope/sink-prometheus';
import { UsageError } from './errors.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';

export { UsageError };

/** What the command line asked for. */
export interface CliArgs {
  /** Subcommand. */
  command: 'serve' | 'check-config' | 'migrate-config' | 'plugins' | 'help' | 'version' | 'connections';
  /** `sockscope connections …`: its own arguments, parsed by `connections/args.ts`. */
  connectionsArgv?: readonly string[];
  /** Config file (`--config`, or the file argument of check-config / migrate-config). */
  configFile?: string;
  /** `--web.listen-address`. */
  listenAddress?: string;
  /** `--port`: shorthand that keeps the host of the listen address. */
  port?: number;
  /** `--web.config.file`: TLS and basic auth, exporter-toolkit format. */
  webConfigFile?: string;
  /** `--web.telemetry-path` → `sinks.prometheus.metrics_path`. */
  telemetryPath?: string;
  /** `--web.disable-exporter-metrics` → `sinks.prometheus.process_metrics: false`. */
  disableExporterMetrics?: boolean;
  /** `--web.max-requests` → `sinks.prometheus.max_requests` (0: no limit). */
  maxRequests?: number;
  /** `--web.enable-lifecycle` → `sinks.prometheus.enable_lifecycle: true`. */
  enableLifecycle?: boolean;
  /** `--web.enable-connections` → `sinks.prometheus.connections: true`. */
  enableConnections?: boolean;
  /** `--web.max-connections` → `sinks.prometheus.max_connections` (0: no limit). */
  maxConnections?: number;
  /** `--web.shutdown-timeout` → `sinks.prometheus.shutdown_timeout`, as given (`5s`, `500ms`, seconds). */
  shutdownTimeout?: string;
  /** `--collector.<name>` (true) and `--no-collector.<name>` (false), the last one given winning. */
  collectors?: Record<string, boolean>;
  /** `--collector.disable-defaults`: only the collectors named on the command line or configured run. */
  disableDefaults?: boolean;
  /** `--path.procfs` → every plugin's `procfs_path`. */
  procfsPath?: string;
  /** `--path.sysfs` → every plugin's `sysfs_path`. */
  sysfsPath?: string;
  /** `--path.rootfs`: prefixes the procfs and sysfs paths not given by flag. */
  rootfsPath?: string;
  /** `--log.level`, when given (the config's `log.level`, then info, otherwise). */
  logLevel?: LogLevel;
  /** `--log.format`, when given (the config's `log.format`, then logfmt, otherwise). */
  logFormat?: LogFormat;
}

/** The longest a Node timer waits: 2^31 - 1 ms (596h31m); a longer one fires at once. */
const MAX_TIMER_MS = 596 * 3_600_000;

const VALUE_FLAGS = [
  '--config',
  '--web.listen-address',
  '--port',
  '--web.config.file',
  '--web.telemetry-path',
  '--web.max-requests',
  '--web.max-connections',
  '--web.shutdown-timeout',
  '--path.procfs',
  '--path.sysfs',
  '--path.rootfs',
  '--log.level',
  '--log.format',
] as const;
const BOOL_FLAGS = ['--help', '--version', '--web.disable-exporter-metrics', '--web.enable-lifecycle', '--web.enable-connections', '--collector.disable-defaults'] as const;
const COMMANDS = ['serve', 'check-config', 'migrate-config', 'plugins', 'connections', 'help', 'version'] as const;
const COLLECTOR_FLAG = /^--(no-)?collector\.(.+)$/;

/** Parses argv (without node and script), accepting `--flag value` and `--flag=value`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  // `sockscope connections` takes flags of its own (the query's filters): they are parsed there
  if (argv[0] === 'connections') return { command: 'connections', connectionsArgv: argv.slice(1) };
  const args: CliArgs = { command: 'serve' };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    // `pnpm start -- --flag` passes the separator through; it carries no meaning here.
    if (raw === '--') continue;
    if (!raw.startsWith('-') || raw === '-') {
      positional.push(raw);
      continue;
    }
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (flag === '-h' || flag === '--help') {
      args.command = 'help';
      continue;
    }
    if (flag === '-v' || flag === '--version') {
      args.command = 'version';
      continue;
    }
    if ((BOOL_FLAGS as readonly string[]).includes(flag) || (COLLECTOR_FLAG.test(flag) && flag !== '--no-collector.disable-defaults')) {
      if (eq > 0) throw new UsageError(`${flag} takes no value${flag.includes('collector.') ? ` (use --collector.NAME to enable a collector, --no-collector.NAME to disable it)` : ''}`);
      setBoolFlag(args, flag);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      const hint = closest(flag, [...VALUE_FLAGS, ...BOOL_FLAGS]);
      throw new UsageError(`unknown flag ${flag}${hint ? ` (did you mean ${hint}?)` : ''}; see sockscope --help`);
    }
    let value: string | undefined;
    if (eq > 0) value = raw.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`flag ${flag} needs a value; see sockscope --help`);
      i++;
    }
    setFlag(args, flag, value);
  }
  if (positional.length > 0) {
    const [cmd, ...rest] = positional as [string, ...string[]];
    if (!(COMMANDS as readonly string[]).includes(cmd)) {
      const hint = closest(cmd, COMMANDS);
      throw new UsageError(`unknown command "${cmd}"${hint ? ` (did you mean "${hint}"?)` : ''}; commands: ${COMMANDS.join(', ')}`);
    }
    if (args.command === 'serve') args.command = cmd as CliArgs['command'];
    if (cmd === 'connections') throw new UsageError('connections takes flags of its own: put it first, sockscope connections [flags] (see sockscope connections --help)');
    if (cmd === 'check-config' || cmd === 'migrate-config') {
      if (rest.length !== 1) throw new UsageError(`${cmd} takes exactly one config file: sockscope ${cmd} FILE`);
      args.configFile = rest[0];
    } else if (rest.length > 0) {
      throw new UsageError(`unexpected argument "${rest[0]}" after ${cmd}`);
    }
  }
  return args;
}

function setBoolFlag(args: CliArgs, flag: string): void {
  switch (flag) {
    case '--web.disable-exporter-metrics':
      args.disableExporterMetrics = true;
      return;
    case '--web.enable-lifecycle':
      args.enableLifecycle = true;
      return;
    case '--web.enable-connections':
      args.enableConnections = true;
      return;
    case '--collector.disable-defaults':
      args.disableDefaults = true;
      return;
  }
  const m = COLLECTOR_FLAG.exec(flag) as RegExpExecArray;
  const name = m[2] as string;
  const collectors = (args.collectors ??= {});
  // the last of --collector.x / --no-collector.x wins, as with any repeated flag
  delete collectors[name];
  collectors[name] = m[1] === undefined;
}

function setFlag(args: CliArgs, flag: (typeof VALUE_FLAGS)[number] | string, value: string): void {
  switch (flag) {
    case '--config':
      args.configFile = value;
      break;
    case '--web.listen-address':
      try {
        parseListenAddress(value);
      } catch (err) {
        throw new UsageError(`--web.listen-address: ${(err as Error).message}`);
      }
      args.listenAddress = value;
      break;
    case '--web.config.file':
      args.webConfigFile = value;
      break;
    case '--port': {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port ${value}: must be a port number 0-65535`);
      args.port = port;
      break;
    }
    case '--web.telemetry-path':
      if (!value.startsWith('/')) throw new UsageError(`--web.telemetry-path ${value}: must be a URL path starting with /, e.g. /metrics`);
      args.telemetryPath = value;
      break;
    case '--web.max-requests': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--web.max-requests ${value}: must be a whole number of concurrent scrapes, 0 for no limit`);
      args.maxRequests = n;
      break;
    }
    case '--web.max-connections': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`--web.max-connections ${value}: must be a whole number of connections, 0 for no limit`);
      args.maxConnections = n;
      break;
    }
    case '--web.shutdown-timeout': {
      let ms: number;
      try {
        ms = parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
      } catch {
        throw new UsageError(`--web.shutdown-timeout ${value}: must be a duration such as 5s, 500ms or 1m, or a number of seconds`);
      }
      if (ms > MAX_TIMER_MS) throw new UsageError(`--web.shutdown-timeout ${value}: must be at most 596h, the longest a timer can wait`);
      args.shutdownTimeout = value;
      break;
    }
    case '--path.procfs':
    case '--path.sysfs':
    case '--path.rootfs': {
      if (value === '') throw new UsageError(`${flag} needs a directory, e.g. ${flag} /host/${flag.slice('--path.'.length).replace('fs', '')}`);
      const key = flag === '--path.procfs' ? 'procfsPath' : flag === '--path.sysfs' ? 'sysfsPath' : 'rootfsPath';
      args[key] = value;
      break;
    }
    case '--log.level':
      if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new UsageError(`--log.level ${value}: must be one of ${LOG_LEVELS.join(', ')}`);
      args.logLevel = value as LogLevel;
      break;
    case '--log.format':
      if (value !== 'logfmt' && value !== 'json') throw new UsageError(`--log.format ${value}: must be logfmt or json`);
      args.logFormat = value;
      break;
  }
}

/** A default from a registered plugin's schema, for the help text (the schema is where defaults live). */
function schemaDefault(registry: PluginRegistry, kind: 'collector' | 'sink', name: string, key: string): unknown {
  if (!registry.has(kind, name)) return undefined;
  const props = registry.get(kind, name).configSchema.properties as Record<string, { default?: unknown }> | undefined;
  return props?.[key]?.default;
}

/** Formats `  flag  description` with the description in a column, or on the next line when the flag is long. */
function row(flag: string, text: string): string {
  const width = 34;
  return flag.length + 4 <= width ? `  ${flag.padEnd(width - 2)}${text}\n` : `  ${flag}\n${' '.repeat(width)}${text}\n`;
}

/**
 * The `--help` text, grouped as node_exporter's: web, collectors (every registered collector
 * with its description and whether it is on by default here), paths, logging.
 */
export function helpText(registry: PluginRegistry): string {
  const dflt = (kind: 'collector' | 'sink', name: string, key: string, fallback: string) => {
    const v = schemaDefault(registry, kind, name, key);
    return v === undefined ? fallback : String(v);
  };
  const platform = registry.currentPlatform;
  const fallbackOf = (name: string) =>
    registry
      .list('collector')
      .filter((o) => o.fallback === name)
      .map((o) => o.name);
  const collectors = registry
    .list('collector')
    .map((d) => {
      const replaces = fallbackOf(d.name);
      const state = !fitsPlatform(d, platform)
        ? `runs on ${d.platforms.join(', ')}`
        : d.defaultEnabled
          ? 'default: on'
          : replaces.length > 0
            ? `default: off, takes over when ${replaces.join(', ')} cannot start`
            : 'default: off';
      return row(`--[no-]collector.${d.name}`, `${d.description} (${state})`);
    })
    .join('');
  return `sockscope: every socket and interface of this host as Prometheus and OTLP metrics

Usage:
  sockscope [serve] [flags]          run the agent (no config file needed)
  sockscope check-config FILE        validate a config file, print every error, exit 0 or 2
  sockscope migrate-config FILE      print the native equivalent of a prometheus_ss_exporter config
  sockscope plugins [flags]          list built-in and loaded plugins: kind, name, platforms,
                                     on/off under --config and the flags, description
  sockscope connections [flags]      every TCP and UDP socket now, as ss -tp: direction, process,
                                     container, RTT; filters, --aggregate, --topology, --json,
                                     --watch, --from URL (see sockscope connections --help)
  sockscope --help | --version

Flags given here win over the config file.

${row('--config FILE', 'YAML config file (default: the embedded default)')}${row('-h, --help', 'this text')}${row('-v, --version', 'print the version')}
Web:
${row('--web.listen-address ADDR', `address of the metrics endpoint, host:port or :port (default ${dflt('sink', 'prometheus', 'listen_address', ':8020')})`)}${row('--port N', 'port of the metrics endpoint, keeping the listen host')}${row('--web.telemetry-path PATH', `path of the metrics endpoint (default ${dflt('sink', 'prometheus', 'metrics_path', '/metrics')})`)}${row('--web.disable-exporter-metrics', "leave out the exporter's own process_* and nodejs_* metrics")}${row('--web.max-requests N', `concurrent scrapes served, over it 503; 0 for no limit (default ${dflt('sink', 'prometheus', 'max_requests', '40')})`)}${row('--web.max-connections N', `TCP connections held at once; at the limit the longest idle one is closed for a new one; 0 for no limit (default ${dflt('sink', 'prometheus', 'max_connections', '512')})`)}${row('--web.shutdown-timeout DURATION', `on SIGTERM, how long in-flight scrapes may finish before they are cut (default ${dflt('sink', 'prometheus', 'shutdown_timeout', '5s')})`)}${row('--web.enable-lifecycle', 'reload the config with POST /-/reload')}${row('--web.enable-connections', 'serve the live connections: /api/v1/connections (JSON) and the page /connections, behind the same TLS and auth as /metrics (off by default: they name peers, commands and users)')}${row('--web.config.file FILE', 'TLS and basic auth (exporter-toolkit web config format)')}
Collectors (--collector.NAME turns one on, --no-collector.NAME off):
${row('--collector.disable-defaults', 'run only the collectors named with --collector.NAME or configured in --config')}${collectors}
Paths:
${row('--path.procfs PATH', `procfs mount point: procfs_path of every plugin that reads it (default ${dflt('collector', 'linux-procfs', 'procfs_path', '/proc')})`)}${row('--path.sysfs PATH', `sysfs mount point: sysfs_path of every plugin that reads it (default ${dflt('collector', 'linux-procfs', 'sysfs_path', '/sys')})`)}${row('--path.rootfs PATH', 'the host root mounted in a container: prefixes the procfs and sysfs paths not given by flag')}
Logging:
${row('--log.level LEVEL', `one of ${LOG_LEVELS.join(', ')} (default info)`)}${row('--log.format FORMAT', 'logfmt or json (default logfmt)')}`;
}
