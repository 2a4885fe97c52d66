import { defineCollector, type Collector, type CollectorResult } from '@sockscope/core';
import { hostConfigSchema, resolveHostConfig, type HostCollectorConfig } from './config.js';
import { readHost } from './collect.js';
import { kernelPageSize } from './page-size.js';

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
  create(ctx): Collector {
    const cfg = resolveHostConfig(ctx.config);
    const pageSize = kernelPageSize();
    let closed = false;
    return {
      async collect(signal: AbortSignal): Promise<CollectorResult> {
        if (closed) return { host: {}, warnings: ['collector linux-procfs is closed'] };
        try {
          const { host, warnings } = await readHost(cfg, pageSize, signal);
          return warnings.length > 0 ? { host, warnings } : { host };
        } catch (err) {
          // Only an abort (timeout or shutdown) gets here; report it instead of throwing.
          return { host: {}, warnings: [`collection stopped: ${signal.aborted ? 'aborted' : (err as Error).message}`] };
        }
      },
      async close(): Promise<void> {
        closed = true;
      },
    };
  },
});
