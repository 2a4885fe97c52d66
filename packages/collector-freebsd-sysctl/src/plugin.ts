import { defineCollector } from '@sockscope/core';
import { createFreebsdSysctlCollector } from './collector.js';
import { freebsdSysctlConfigSchema, type FreebsdSysctlConfig } from './config.js';

/**
 * The FreeBSD source: TCP and UDP sockets (IPv4 and IPv6) from the pcblist sysctls with their
 * owning processes (kern.file join), TCP/UDP stack counters, TCP state counts and interface
 * counters, all through sysctl(3) via koffi. Refused by the registry on other platforms; core
 * renders its host counters (node_exporter's netstat and netdev families).
 */
export const freebsdSysctlCollector = defineCollector<FreebsdSysctlConfig>({
  name: 'freebsd-sysctl',
  description: 'FreeBSD sockets with processes, TCP/UDP counters, TCP states and interface counters through sysctl (what sockstat and netstat -s read)',
  platforms: ['freebsd'],
  provides: ['sockets', 'host'],
  defaultEnabled: true,
  configSchema: freebsdSysctlConfigSchema,
  create: (ctx) => createFreebsdSysctlCollector(ctx),
});
