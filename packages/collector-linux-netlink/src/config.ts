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
  },
} as const satisfies JSONSchemaType;

/**
 * Config of the linux-netlink collector, derived from {@link netlinkConfigSchema} with its
 * defaults applied: `protocols`, `families` and `namespaces` are always there; `states` absent
 * means every state.
 */
export type NetlinkCollectorConfig = ConfigOf<typeof netlinkConfigSchema>;
