import { defineCollector } from '@sockscope/core';
import { createNetlinkCollector } from './collector.js';
import { netlinkConfigSchema, type NetlinkCollectorConfig } from './config.js';

/**
 * The Linux socket source: every TCP and UDP socket through NETLINK_SOCK_DIAG, with tcp_info,
 * congestion algorithm and socket memory, in the agent's own or other network namespaces.
 */
export const linuxNetlinkCollector = defineCollector<NetlinkCollectorConfig>({
  name: 'linux-netlink',
  description: 'TCP and UDP sockets with tcp_info through NETLINK_SOCK_DIAG (what ss -tuinem shows), across network namespaces',
  platforms: ['linux'],
  provides: ['sockets'],
  defaultEnabled: true,
  fallback: 'linux-procfs-sockets',
  configSchema: netlinkConfigSchema,
  create: (ctx) => createNetlinkCollector(ctx),
});
