import type { ConfigOf, JSONSchemaType } from '@sockscope/core';

/**
 * JSON Schema of the collector's config, and the one place its defaults live (the plugin
 * context applies them before create()).
 */
export const freebsdSysctlConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tcp: { type: 'boolean', default: true, description: 'Read TCP sockets (net.inet.tcp.pcblist, IPv4 and IPv6).' },
    udp: { type: 'boolean', default: true, description: 'Read UDP sockets (net.inet.udp.pcblist, IPv4 and IPv6).' },
    processes: { type: 'boolean', default: true, description: 'Attribute sockets to processes (kern.file joined on the socket address, comm from kern.proc.pid.<pid>).' },
    stats: { type: 'boolean', default: true, description: 'Read net.inet.tcp.stats, net.inet.udp.stats and net.inet.tcp.states.' },
    interfaces: { type: 'boolean', default: true, description: 'Read interface counters (if_data) from the NET_RT_IFLISTL routing dump.' },
    pcblist_retries: { type: 'integer', minimum: 0, maximum: 20, default: 5, description: 'Extra pcblist reads when the table changed during the copy (5, as sockstat).' },
    max_buffer_bytes: { type: 'integer', minimum: 65536, maximum: 2147483648, default: 268435456, description: 'Largest buffer a sysctl read may grow to on ENOMEM, bytes (256 MiB).' },
  },
} as const satisfies JSONSchemaType;

/**
 * Config of the freebsd-sysctl collector, derived from {@link freebsdSysctlConfigSchema} with its
 * defaults applied: every key is always there.
 */
export type FreebsdSysctlConfig = ConfigOf<typeof freebsdSysctlConfigSchema>;
