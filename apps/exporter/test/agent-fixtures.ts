import { PluginRegistry, SockscopeError, defineCollector } from '@sockscope/core';
import { linuxProcfsSocketsCollector } from '@sockscope/collector-linux-procfs';
import { prometheusSink } from '@sockscope/sink-prometheus';
import type { AgentConfig } from '../src/config/types.js';

/** Build facts for agents started by tests. */
export const build = { version: '0.0.0-test', nodeVersion: process.versions.node, platform: process.platform, arch: process.arch };

/** A validated-looking agent config: no collectors or enrichers named, the Prometheus sink on an ephemeral loopback port. */
export function config(partial: Partial<AgentConfig>): AgentConfig {
  return {
    plugins: [],
    collection: { timeout: '5s', min_interval: 0 },
    collectors: {},
    enrichers: {},
    sinks: { prometheus: { listen_address: '127.0.0.1:0', process_metrics: false } },
    ...partial,
  };
}

/**
 * A registry whose default socket source is refused by the kernel (as under a seccomp profile)
 * and falls back to the procfs socket collector, with the Prometheus sink.
 */
export function refusedPrimaryRegistry(name: string): PluginRegistry {
  const registry = new PluginRegistry(process.platform);
  registry.registerAll([
    defineCollector({
      name,
      description: 'a socket source whose kernel interface is refused',
      platforms: ['linux'],
      provides: ['sockets'],
      defaultEnabled: true,
      fallback: 'linux-procfs-sockets',
      configSchema: { type: 'object' },
      create: () => {
        throw new SockscopeError('ERR_COLLECTOR_UNAVAILABLE', 'socket(AF_NETLINK) failed: EPERM');
      },
    }),
    linuxProcfsSocketsCollector,
    prometheusSink,
  ]);
  return registry;
}
