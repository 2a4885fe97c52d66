import { defineCollector } from '@sockscope/core';
import { socketsConfigSchema, type LinuxProcfsSocketsConfig } from '../config.js';
import { createSocketsCollector } from '../sockets/collector.js';

/**
 * The procfs socket source: /proc/net/{tcp,tcp6,udp,udp6} (+ raw, raw6, unix) as socket records.
 * It is the fallback when the netlink collector cannot start; it has no tcp_info beyond what the
 * tables print (rto, ato, cwnd, ssthresh) and sees only the agent's own network namespace.
 */
export const linuxProcfsSocketsCollector = defineCollector<LinuxProcfsSocketsConfig>({
  name: 'linux-procfs-sockets',
  description: 'Sockets from the /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix} tables (fallback when netlink is unavailable)',
  platforms: ['linux'],
  provides: ['sockets'],
  defaultEnabled: false,
  configSchema: socketsConfigSchema,
  create: createSocketsCollector,
});
