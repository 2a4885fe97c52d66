import { defineCollector } from '@sockscope/core';
import { hostConfigProblems, hostConfigSchema, type HostCollectorConfig } from '../config.js';
import { createHostCollector } from '../host/collector.js';

/**
 * The Linux host collector: interfaces, netstat, sockstat, conntrack and softnet counters from
 * procfs and sysfs, published by core under node_exporter's names.
 */
export const linuxProcfsHostCollector = defineCollector<HostCollectorConfig>({
  name: 'linux-procfs',
  description: 'Host network counters from /proc/net and /sys/class/net (node_exporter netdev, netclass, netstat, sockstat, conntrack, softnet)',
  platforms: ['linux'],
  provides: ['host'],
  defaultEnabled: true,
  configSchema: hostConfigSchema,
  // check-config and the agent run it before create(): a bad regex is refused with its path
  validateConfig: hostConfigProblems,
  create: createHostCollector,
});
