import type { ConfigOf, JSONSchemaType, SocketState } from '@sockscope/core';

const STATES: readonly SocketState[] = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
];

/**
 * JSON Schema of the collector's config, and the one place its defaults live (the plugin
 * context applies them before create()).
 */
export const netlinkConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocols: {
      type: 'array',
      items: { enum: ['tcp', 'udp'] },
      minItems: 1,
      uniqueItems: true,
      default: ['tcp', 'udp'],
      description: 'Transport protocols to dump.',
    },
    families: {
      type: 'array',
      items: { enum: ['ipv4', 'ipv6'] },
      minItems: 1,
      uniqueItems: true,
      default: ['ipv4', 'ipv6'],
      description: 'Address families to dump.',
    },
    states: {
      type: 'array',
      items: { enum: STATES },
      minItems: 1,
      uniqueItems: true,
      description: 'Socket states to dump (the kernel filters them); all when absent.',
    },
    namespaces: {
      description: 'own: the agent\'s network namespace; all: every namespace a process uses (needs CAP_SYS_ADMIN); or a list of /run/netns names.',
      default: 'own',
      anyOf: [
        { enum: ['own', 'all'] },
        { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1, pattern: '^[^/\\0]+$' } },
      ],
    },
    destroy_events: {
      type: 'boolean',
      default: true,
      description: 'Listen to the kernel\'s socket-destroy events (what ss -E prints) in the namespaces read, so each collection also hands the sockets closed since the previous one, with their final tcp_info (connection lifecycle: exact counters, opened/closed/failed connects, durations). false: live sockets only.',
    },
    destroy_rcvbuf: {
      type: 'integer',
      minimum: 65536,
      default: 8388608,
      description: 'Receive buffer of each destroy-event socket, bytes as the kernel reports it (about 900 bytes per event). Above net.core.rmem_max it needs CAP_NET_ADMIN (SO_RCVBUFFORCE); when the kernel drops events anyway, sockscope_lifecycle_enobufs_total counts it.',
    },
    destroy_max_buffered: {
      type: 'integer',
      minimum: 1,
      default: 50000,
      description: 'Closed-socket records kept between two collections; beyond, new ones are dropped and counted in sockscope_lifecycle_events_dropped_total.',
    },
  },
} as const satisfies JSONSchemaType;

/**
 * Config of the linux-netlink collector, derived from {@link netlinkConfigSchema} with its
 * defaults applied: `protocols`, `families` and `namespaces` are always there; `states` absent
 * means every state.
 */
export type NetlinkCollectorConfig = ConfigOf<typeof netlinkConfigSchema>;
