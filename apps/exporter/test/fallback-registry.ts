import { PluginRegistry, SockscopeError, defineCollector } from '@sockscope/core';
import { linuxProcfsSocketsCollector } from '@sockscope/collector-linux-procfs';
import { prometheusSink } from '@sockscope/sink-prometheus';

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
