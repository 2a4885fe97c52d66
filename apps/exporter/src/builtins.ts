import { PluginRegistry } from '@sockscope/core';
import { prometheusSink } from '@sockscope/sink-prometheus';

/** A registry holding every built-in plugin; platform checks happen when a plugin is enabled. */
export function builtinRegistry(platform: NodeJS.Platform = process.platform): PluginRegistry {
  const registry = new PluginRegistry(platform);
  for (const plugin of [prometheusSink]) registry.register(plugin);
  return registry;
}
