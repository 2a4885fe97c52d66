import type { JSONSchemaType } from '@sockscope/core';

/** Config of the freebsd-sysctl collector (derived from {@link freebsdSysctlConfigSchema}); every key optional. */
export interface FreebsdSysctlConfig {
  /** Read TCP sockets from net.inet.tcp.pcblist (default true). */
  tcp?: boolean;
  /** Read UDP sockets from net.inet.udp.pcblist (default true). */
  udp?: boolean;
  /** Attribute sockets to processes through kern.file and kern.proc.pid (default true). */
  processes?: boolean;
  /** Read tcp/udp stats and tcp.states (default true). */
  stats?: boolean;
  /** Read interface counters from the NET_RT_IFLISTL routing dump (default true). */
  interfaces?: boolean;
  /** Extra pcblist reads when the table changed during a copy (default 5, as sockstat). */
  pcblistRetries?: number;
  /** Largest buffer one sysctl read may grow to, bytes (default 256 MiB). */
  maxBufferBytes?: number;
}

/** Defaults applied when a key is absent. */
export const CONFIG_DEFAULTS: Required<FreebsdSysctlConfig> = {
  tcp: true,
  udp: true,
  processes: true,
  stats: true,
  interfaces: true,
  pcblistRetries: 5,
  maxBufferBytes: 256 * 1024 * 1024,
};

/** JSON Schema of the collector's config; defaults are filled in by the registry's validator. */
export const freebsdSysctlConfigSchema: JSONSchemaType = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tcp: { type: 'boolean', default: true, description: 'Read TCP sockets (net.inet.tcp.pcblist, IPv4 and IPv6).' },
    udp: { type: 'boolean', default: true, description: 'Read UDP sockets (net.inet.udp.pcblist, IPv4 and IPv6).' },
    processes: { type: 'boolean', default: true, description: 'Attribute sockets to processes (kern.file joined on the socket address, comm from kern.proc.pid.<pid>).' },
    stats: { type: 'boolean', default: true, description: 'Read net.inet.tcp.stats, net.inet.udp.stats and net.inet.tcp.states.' },
    interfaces: { type: 'boolean', default: true, description: 'Read interface counters (if_data) from the NET_RT_IFLISTL routing dump.' },
    pcblistRetries: { type: 'integer', minimum: 0, maximum: 20, default: 5, description: 'Extra pcblist reads when the table changed during the copy.' },
    maxBufferBytes: { type: 'integer', minimum: 65536, maximum: 2147483648, default: 268435456, description: 'Largest buffer a sysctl read may grow to on ENOMEM, bytes.' },
  },
};
