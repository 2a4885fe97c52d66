import { durationSchema } from '../config/duration.js';
import { ADDRESS_SPACES, type AddressSpace } from '../net/address-space.js';
import type { Direction, Family, Protocol, SocketState } from '../types/socket.js';
import type { PortRangeSpec } from './ports.js';

/**
 * One side (include or exclude) of a selection. Criteria come in groups; within a group any
 * listed value matches (a peer is in `addresses` OR `networks` OR `hosts`), and groups combine
 * with AND on the include side and OR on the exclude side (any excluded match drops the socket;
 * exclude wins over include).
 *
 * Groups: process = pids | commands | cmdline; peer = addresses | networks | hosts;
 * port = local_ports | remote_ports | ports; workload = containers | units | pods | namespaces |
 * images; and one group each for users, protocols, families, states, directions, netns,
 * remote_spaces.
 *
 * Globs (container, pod, namespace and image names) take `*` (any run of characters, `/`
 * included) and `?` (one character), nothing else; they match the whole name.
 */
export interface SelectionCriteria {
  /** Owning process ids. */
  pids?: number[];
  /** Owning process command names (comm), exact. */
  commands?: string[];
  /** Regular expressions tried on the owning process's full command line. */
  cmdline?: string[];
  /** Socket owner uids. */
  users?: number[];
  /** Peer addresses (IPv4 or IPv6, compared numerically). */
  addresses?: string[];
  /** Peer networks in CIDR notation, IPv4 or IPv6. */
  networks?: string[];
  /** Peer host names, resolved to addresses and refreshed every `host_ttl`. */
  hosts?: string[];
  /** Local port ranges. */
  local_ports?: PortRangeSpec[];
  /** Remote port ranges. */
  remote_ports?: PortRangeSpec[];
  /** Port ranges matched on either endpoint. */
  ports?: PortRangeSpec[];
  /** Transport protocols. */
  protocols?: Protocol[];
  /** Address families. */
  families?: Family[];
  /** Socket states. */
  states?: SocketState[];
  /** Directions (listen, inbound, outbound, local). */
  directions?: Direction[];
  /**
   * Containers: an id (a prefix of 12 or more hex characters matches like `docker ps` short ids)
   * or a container name glob (`web-*`: the Kubernetes container name, or the Docker/Podman name).
   */
  containers?: string[];
  /** systemd units, as systemd spells them (`nginx.service`). */
  units?: string[];
  /** Kubernetes pods: a pod UID, a pod name glob (`web-*`), or a `namespace/pod` glob (`prod/web-*`). */
  pods?: string[];
  /** Kubernetes namespace name globs (`kube-*`). */
  namespaces?: string[];
  /** Image reference globs, as the runtime was given them (`nginx:*`, `*postgres:16*`). */
  images?: string[];
  /** Address spaces of the remote address: unspecified, loopback, link_local, multicast, private, public. */
  remote_spaces?: AddressSpace[];
  /** Network namespaces, by inode number or by name. */
  netns?: Array<number | string>;
}

/** The `selection` section: what to include, what to exclude, how often host names resolve. */
export interface SelectionConfig {
  /** Sockets must match every group listed here. */
  include: SelectionCriteria;
  /** Sockets matching any group listed here are dropped. */
  exclude: SelectionCriteria;
  /** How often host names are resolved again (duration, default 5m). */
  host_ttl: string | number;
}

const strings = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const portRanges = {
  type: 'array',
  items: { anyOf: [{ type: 'integer', minimum: 0, maximum: 65535 }, { type: 'string', minLength: 1 }] },
} as const;
const enumList = (values: readonly string[]) => ({ type: 'array', items: { enum: values } }) as const;

/** JSON Schema of one side of a selection. */
export const selectionCriteriaSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pids: { type: 'array', items: { type: 'integer', minimum: 0 }, description: 'owning process ids' },
    commands: { ...strings, description: 'owning process command names (comm), exact' },
    cmdline: { ...strings, description: 'regular expressions tried on the full command line' },
    users: { type: 'array', items: { type: 'integer', minimum: 0 }, description: 'socket owner uids' },
    addresses: { ...strings, description: 'peer addresses, IPv4 or IPv6' },
    networks: { ...strings, description: 'peer networks in CIDR notation, IPv4 or IPv6' },
    hosts: { ...strings, description: 'peer host names, resolved every host_ttl' },
    local_ports: { ...portRanges, description: 'local ports: 443 or "8000-9000"' },
    remote_ports: { ...portRanges, description: 'remote ports: 443 or "8000-9000"' },
    ports: { ...portRanges, description: 'ports on either endpoint: 443 or "8000-9000"' },
    protocols: enumList(['tcp', 'udp', 'raw', 'unix']),
    families: enumList(['ipv4', 'ipv6', 'unix']),
    states: enumList([
      'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
      'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'UNKNOWN',
    ]),
    directions: enumList(['listen', 'inbound', 'outbound', 'local']),
    containers: { ...strings, description: 'container ids (12+ character prefixes match) or container name globs (* and ?)' },
    units: { ...strings, description: 'systemd units (nginx.service)' },
    pods: { ...strings, description: 'Kubernetes pod UIDs, pod name globs, or namespace/pod globs (* and ?)' },
    namespaces: { ...strings, description: 'Kubernetes namespace globs (* and ?)' },
    images: { ...strings, description: 'container image reference globs (* and ?), e.g. nginx:*' },
    remote_spaces: { ...enumList(ADDRESS_SPACES), description: 'address spaces of the remote address' },
    netns: { type: 'array', items: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1 }] } },
  },
} as const;

/** JSON Schema of the `selection` section, defaults filled. */
export const selectionSchema = {
  type: 'object',
  additionalProperties: false,
  default: { include: {}, exclude: {}, host_ttl: '5m' },
  properties: {
    include: { ...selectionCriteriaSchema, default: {} },
    exclude: { ...selectionCriteriaSchema, default: {} },
    host_ttl: { ...durationSchema, default: '5m' },
  },
} as const;
