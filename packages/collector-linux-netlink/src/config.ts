import type { Family, JSONSchemaType, Protocol, SocketState } from '@sockscope/core';
import type { NamespaceSelection } from './namespaces.js';

/** Config of the linux-netlink collector (derived from {@link netlinkConfigSchema}). */
export interface NetlinkCollectorConfig {
  /** Protocols to dump; default tcp and udp. */
  protocols?: readonly Extract<Protocol, 'tcp' | 'udp'>[];
  /** Address families to dump; default ipv4 and ipv6. */
  families?: readonly Extract<Family, 'ipv4' | 'ipv6'>[];
  /** Socket states to keep (filtered by the kernel); default all. */
  states?: readonly SocketState[];
  /** `own` (default), `all` (every namespace in use), or names under /run/netns. */
  namespaces?: NamespaceSelection;
}

const STATES: readonly SocketState[] = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING',
];

/** JSON Schema of the collector's config; defaults are filled in by the registry's validator. */
export const netlinkConfigSchema: JSONSchemaType = {
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
};
