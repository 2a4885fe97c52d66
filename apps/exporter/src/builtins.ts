import { PluginRegistry, directionEnricher, type PluginDefinition } from '@sockscope/core';
import { freebsdSysctlCollector } from '@sockscope/collector-freebsd-sysctl';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import {
  containerEnricher,
  linuxProcfsHostCollector,
  linuxProcfsSocketsCollector,
  processEnricher,
} from '@sockscope/collector-linux-procfs';
import { otlpSink } from '@sockscope/sink-otlp';
import { prometheusSink } from '@sockscope/sink-prometheus';

/** Every built-in plugin, in the order they are registered (and listed by --help). */
export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [
  linuxNetlinkCollector,
  linuxProcfsHostCollector,
  linuxProcfsSocketsCollector,
  freebsdSysctlCollector,
  processEnricher,
  containerEnricher,
  directionEnricher,
  prometheusSink,
  otlpSink,
];

/** A registry holding every built-in plugin; platform checks happen when a plugin is enabled. */
export function builtinRegistry(platform: NodeJS.Platform = process.platform): PluginRegistry {
  const registry = new PluginRegistry(platform);
  registry.registerAll(BUILTIN_PLUGINS);
  return registry;
}
