import { posix } from 'node:path';
import { closest, fitsPlatform, type PluginDefinition, type PluginRegistry } from '@sockscope/core';
import { parseListenAddress } from '@sockscope/sink-prometheus';
import type { CliArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { SECTIONS } from './schema.js';

/** The command-line flags that set config keys. */
export type ConfigFlags = Pick<
  CliArgs,
  | 'listenAddress'
  | 'port'
  | 'telemetryPath'
  | 'disableExporterMetrics'
  | 'maxRequests'
  | 'enableLifecycle'
  | 'enableConnections'
  | 'maxConnections'
  | 'shutdownTimeout'
  | 'collectors'
  | 'disableDefaults'
  | 'procfsPath'
  | 'sysfsPath'
  | 'rootfsPath'
>;

/** node_exporter's collector names whose families a sockscope collector publishes, for the did-you-mean of `--collector.NAME`. */
const NODE_EXPORTER_COLLECTORS: Readonly<Record<string, string>> = {
  netdev: 'linux-procfs',
  netclass: 'linux-procfs',
  netstat: 'linux-procfs',
  sockstat: 'linux-procfs',
  conntrack: 'linux-procfs',
  softnet: 'linux-procfs',
  tcpstat: 'linux-netlink',
};

type Entries = Record<string, unknown>;

const isMap = (v: unknown): v is Entries => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The section object of a config, created when absent; undefined when the file has something else there (the schema reports it). */
function sectionOf(config: Entries, key: string): Entries | undefined {
  if (config[key] === undefined) config[key] = {};
  const s = config[key];
  return isMap(s) ? s : undefined;
}

/** A plugin's entry, created when absent; undefined when the file has a non-object there (the schema reports it). */
function entryOf(section: Entries, name: string, init: () => Entries = () => ({})): Entries | undefined {
  if (section[name] === undefined) section[name] = init();
  const e = section[name];
  return isMap(e) ? e : undefined;
}

/**
 * Applies the command-line flags to a native config before it is validated, so flags win over
 * the file and their values are checked with it: `--web.*` → `sinks.prometheus.*`,
 * `--[no-]collector.NAME` → `collectors.NAME.enabled`, `--collector.disable-defaults` turns off
 * every collector neither named on the command line nor configured, and `--path.*` set
 * `procfs_path` / `sysfs_path` of every collector and enricher whose schema has them. Throws a
 * UsageError for a collector name no registered collector has.
 */
export function applyConfigFlags(config: Entries, flags: ConfigFlags, registry: PluginRegistry): void {
  applyWebFlags(config, flags);
  applyCollectorFlags(config, flags, registry);
  applyPathFlags(config, flags, registry);
}

function applyWebFlags(config: Entries, flags: ConfigFlags): void {
  const set: Entries = {};
  if (flags.listenAddress !== undefined || flags.port !== undefined) set.listen_address = undefined; // filled below from the entry
  if (flags.telemetryPath !== undefined) set.metrics_path = flags.telemetryPath;
  if (flags.disableExporterMetrics) set.process_metrics = false;
  if (flags.maxRequests !== undefined) set.max_requests = flags.maxRequests;
  if (flags.enableLifecycle) set.enable_lifecycle = true;
  if (flags.enableConnections) set.connections = true;
  if (flags.maxConnections !== undefined) set.max_connections = flags.maxConnections;
  // seconds as a number, as the config takes them; otherwise the duration as written
  if (flags.shutdownTimeout !== undefined) set.shutdown_timeout = /^\d+(\.\d+)?$/.test(flags.shutdownTimeout) ? Number(flags.shutdownTimeout) : flags.shutdownTimeout;
  if (Object.keys(set).length === 0) return;
  const sinks = sectionOf(config, SECTIONS.sink);
  const sink = sinks && entryOf(sinks, 'prometheus');
  if (!sink) return;
  if ('listen_address' in set) {
    const address = flags.listenAddress ?? (typeof sink.listen_address === 'string' ? sink.listen_address : ':8020');
    if (flags.port === undefined) set.listen_address = address;
    else {
      // --port keeps the host of the listen address (flag, file or default)
      let host: string | undefined;
      try {
        host = parseListenAddress(address).host;
      } catch {
        host = undefined; // a bad address in the file: the sink's check reports it
      }
      set.listen_address = host === undefined ? `:${flags.port}` : host.includes(':') ? `[${host}]:${flags.port}` : `${host}:${flags.port}`;
    }
  }
  Object.assign(sink, set);
}

function applyCollectorFlags(config: Entries, flags: ConfigFlags, registry: PluginRegistry): void {
  const named = flags.collectors ?? {};
  for (const name of Object.keys(named)) assertCollectorName(name, registry);
  if (Object.keys(named).length === 0 && !flags.disableDefaults) return;
  const section = sectionOf(config, SECTIONS.collector);
  if (!section) return;
  for (const [name, on] of Object.entries(named)) {
    const entry = entryOf(section, name);
    if (entry) entry.enabled = on;
  }
  if (!flags.disableDefaults) return;
  for (const def of registry.list('collector')) {
    if (def.name in named) continue;
    const entry = section[def.name];
    // configured in the file: it runs as the file says
    if (entry !== undefined) continue;
    section[def.name] = { enabled: false };
  }
}

/** Refuses a `--collector.NAME` that names no registered collector, saying which would do. */
function assertCollectorName(name: string, registry: PluginRegistry): void {
  if (registry.has('collector', name)) return;
  const names = registry.list('collector').map((d) => d.name);
  const otherKind = (['enricher', 'sink'] as const).find((k) => registry.has(k, name));
  if (otherKind) {
    throw new UsageError(
      `--collector.${name}: "${name}" is ${otherKind === 'enricher' ? 'an enricher' : 'a sink'}, not a collector; turn it off in the config with ${SECTIONS[otherKind]}.${name}.enabled: false`,
    );
  }
  const publishes = NODE_EXPORTER_COLLECTORS[name];
  const hint = publishes && registry.has('collector', publishes) ? publishes : closest(name, names);
  const why = publishes && hint === publishes ? `: ${publishes} publishes node_exporter's ${name} families` : '';
  throw new UsageError(`--collector.${name}: no collector named "${name}"${hint ? ` (did you mean --collector.${hint}?${why})` : ''}; collectors: ${names.join(', ')}`);
}

/** procfs_path and sysfs_path: the flag, else the rootfs prefixing the configured or default path. */
function applyPathFlags(config: Entries, flags: ConfigFlags, registry: PluginRegistry): void {
  const { procfsPath, sysfsPath, rootfsPath } = flags;
  if (procfsPath === undefined && sysfsPath === undefined && rootfsPath === undefined) return;
  const defs: PluginDefinition[] = [...registry.list('collector'), ...registry.list('enricher')];
  for (const def of defs) {
    const props = (def.configSchema.properties ?? {}) as Record<string, { default?: unknown }>;
    const keys = (
      [
        ['procfs_path', procfsPath],
        ['sysfs_path', sysfsPath],
      ] as const
    ).filter(([key]) => key in props);
    if (keys.length === 0) continue;
    const section = sectionOf(config, SECTIONS[def.kind]);
    if (!section) continue;
    // A plugin without an entry keeps its on/off state: on by default here, or off (a fallback
    // still gets the paths when it takes over).
    const onByDefault = def.defaultEnabled === true && fitsPlatform(def, registry.currentPlatform);
    const entry = entryOf(section, def.name, () => (onByDefault ? {} : { enabled: false }));
    if (!entry) continue;
    for (const [key, flag] of keys) {
      if (flag !== undefined) entry[key] = flag;
      else if (rootfsPath !== undefined) {
        const current = typeof entry[key] === 'string' ? (entry[key] as string) : typeof props[key]?.default === 'string' ? (props[key].default as string) : undefined;
        if (current !== undefined) entry[key] = posix.join(rootfsPath, current);
      }
    }
  }
}
