import { defineCollector } from '@sockscope/core';
import { createFreebsdSysctlCollector } from './collector.js';
import { freebsdSysctlConfigSchema, type FreebsdSysctlConfig } from './config.js';

/**
 * The FreeBSD source: TCP and UDP sockets (IPv4 and IPv6) from the pcblist sysctls with their
 * owning processes (kern.file join), TCP/UDP stack counters, TCP state counts and interface
 * counters, all through sysctl(3) via koffi. Refused by the registry on other platforms.
 */
export const freebsdSysctlCollector = defineCollector<FreebsdSysctlConfig>({
  name: 'freebsd-sysctl',
  description: 'FreeBSD sockets with processes, TCP/UDP counters, TCP states and interface counters through sysctl (what sockstat and netstat -s read)',
  platforms: ['freebsd'],
  provides: ['sockets', 'host', 'families'],
  defaultEnabled: true,
  configSchema: freebsdSysctlConfigSchema,
  create: (ctx) => createFreebsdSysctlCollector(ctx),
});

export default freebsdSysctlCollector;
export type { FreebsdSysctlConfig } from './config.js';
export { freebsdSysctlConfigSchema } from './config.js';
export { createSysctlCollector } from './collector.js';
export type { SysctlReader, MibResult, SysctlResult } from './sysctl-reader.js';
export { parsePcbList } from './parse/xinpgen.js';
export { parseXtcpcb } from './parse/xtcpcb.js';
export { parseXinpcb } from './parse/xinpcb.js';
export { parseXfiles } from './parse/xfile.js';
export { parseKinfoProc } from './parse/kinfo-proc.js';
export { parseTcpstat } from './parse/tcpstat.js';
export { parseUdpstat } from './parse/udpstat.js';
export { parseTcpStates } from './parse/tcp-states.js';
export { parseIfList } from './parse/iflist.js';
