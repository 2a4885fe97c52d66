import { closest } from '../config/did-you-mean.js';
import { SockscopeError } from '../errors.js';
import { ADDRESS_SPACES, type AddressSpace } from '../net/address-space.js';
import { parseCidr, type IpNetwork } from '../selection/ip.js';
import { parsePortRange } from '../selection/ports.js';
import { TCP_STATES } from '../types/socket.js';
import { CONNECTION_DIRECTIONS, CONNECTION_PROTOCOLS, type ConnectionDirection, type ConnectionProtocol } from './row.js';

/** The views of `GET /api/v1/connections`. */
export type ConnectionsView = 'detailed' | 'aggregated' | 'topology';

/** How the topology groups sockets into actors. */
export type TopologyGroupBy = 'process_name' | 'pid' | 'container';

/** The row fields `labels` may attach to the topology's process and container actors. */
export const TOPOLOGY_LABELS = ['cmdline', 'user', 'uid', 'image', 'unit', 'pod', 'namespace', 'container', 'netns'] as const;
/** A row field a topology actor may carry as a label. */
export type TopologyLabel = (typeof TOPOLOGY_LABELS)[number];

/** Rows answered unless `limit` says otherwise. */
export const CONNECTIONS_DEFAULT_LIMIT = 5000;
/** Most rows (or topology links) one answer may hold. */
export const CONNECTIONS_MAX_LIMIT = 100_000;

/**
 * A parsed connections query. Each filter list ORs its values; filters AND. An absent or empty
 * list filters nothing. Ports are inclusive ranges; addresses are numeric networks.
 */
export interface ConnectionsQuery {
  readonly view: ConnectionsView;
  /** `tcp`/`udp` are expanded to their three protocols. */
  readonly protocol: readonly ConnectionProtocol[];
  readonly family: readonly ('ipv4' | 'ipv6')[];
  /** Kernel state names, upper case. */
  readonly state: readonly string[];
  readonly direction: readonly ConnectionDirection[];
  /** Namespace name, inode, or `system`. */
  readonly netns: readonly string[];
  /** Command-name globs (`*`, `?`). */
  readonly process: readonly string[];
  readonly pid: readonly number[];
  /** Container name, or id (its first 12 characters or more). */
  readonly container: readonly string[];
  /** Pod name or uid. */
  readonly pod: readonly string[];
  readonly namespace: readonly string[];
  readonly port: readonly (readonly [number, number])[];
  readonly localPort: readonly (readonly [number, number])[];
  readonly remotePort: readonly (readonly [number, number])[];
  readonly address: readonly IpNetwork[];
  /** Address space of the remote end. */
  readonly space: readonly AddressSpace[];
  readonly groupBy: TopologyGroupBy;
  /** Row fields attached to the topology's actors as labels (off unless asked and allowed). */
  readonly labels: readonly TopologyLabel[];
  /** True when command lines are answered whole (`cmdline=full`). */
  readonly fullCmdline: boolean;
  readonly limit: number;
}

/** The parameters of a query, with the values each takes (for messages and docs). */
export const CONNECTIONS_QUERY_PARAMETERS: Readonly<Record<string, string>> = {
  view: 'detailed, aggregated or topology',
  protocol: 'tcp, udp, tcp4, tcp6, tcp46, udp4, udp6 or udp46',
  family: 'ipv4 or ipv6',
  state: 'a TCP state such as ESTABLISHED, LISTEN, TIME_WAIT, CLOSE_WAIT (UDP: ESTABLISHED or CLOSE)',
  direction: 'listen, inbound, outbound, local-inbound, local-outbound, or local for both local ones',
  netns: 'a network namespace name, its inode, or system',
  process: 'a command name; * and ? match any characters and any one character',
  pid: 'a process id',
  container: 'a container name or id (12 characters or more)',
  pod: 'a pod name or uid',
  namespace: 'a Kubernetes namespace',
  port: 'a port or range, either end (443 or 8000-9000)',
  local_port: 'a local port or range (443 or 8000-9000)',
  remote_port: 'a remote port or range (443 or 8000-9000)',
  address: 'an IP address or CIDR network, either end (10.0.0.1, 10.0.0.0/8, fd00::/8)',
  space: ADDRESS_SPACES.join(', '),
  group_by: 'process_name, pid or container (topology)',
  labels: `row fields to attach to the topology's actors as labels: ${TOPOLOGY_LABELS.join(', ')} (topology; off unless allowed: an agent's sinks.prometheus.connections_topology_labels, or sockscope connections collecting here)`,
  cmdline: 'full for whole command lines (short by default)',
  limit: `rows to answer, 0 to ${CONNECTIONS_MAX_LIMIT} (default ${CONNECTIONS_DEFAULT_LIMIT})`,
};

const SINGLE = new Set(['view', 'group_by', 'cmdline', 'limit']);
const STATES = new Set<string>(TCP_STATES.filter((s) => s !== 'UNKNOWN'));

/** What is wrong with one value (a parse result that is not a value). */
class Problem {
  constructor(readonly text: string) {}
}
const bad = (text: string): Problem => new Problem(text);

type Params = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

function entriesOf(params: Params): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const put = (k: string, v: string) => {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  };
  if (params instanceof URLSearchParams) for (const [k, v] of params) put(k, v);
  else {
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      if (typeof v === 'string') put(k, v);
      else for (const x of v) put(k, x);
    }
  }
  return out;
}

/**
 * Parses the parameters of `GET /api/v1/connections` (a URL's search params, or the CLI's flags
 * as a record) into a {@link ConnectionsQuery}, every value checked and compiled once. A key may
 * be repeated, or hold a comma-separated list; its values OR. Empty values are ignored (a form's
 * blank filter). Throws a `SockscopeError` `ERR_QUERY_INVALID` whose message is one
 * `<param>: <what is wrong and the fix>` per problem, joined by `; ` (also in `details`).
 */
export function parseConnectionsQuery(params: Params): ConnectionsQuery {
  const problems: string[] = [];
  const raw = entriesOf(params);
  const values = new Map<string, string[]>();
  for (const [key, list] of raw) {
    if (!(key in CONNECTIONS_QUERY_PARAMETERS)) {
      const near = closest(key, Object.keys(CONNECTIONS_QUERY_PARAMETERS));
      problems.push(`${key}: unknown parameter; ${near ? `did you mean ${near}? ` : ''}the parameters are ${Object.keys(CONNECTIONS_QUERY_PARAMETERS).join(', ')}`);
      continue;
    }
    const split = SINGLE.has(key) ? list.map((v) => v.trim()) : list.flatMap((v) => v.split(',')).map((v) => v.trim());
    const kept = split.filter((v) => v !== '');
    if (SINGLE.has(key) && kept.length > 1) {
      problems.push(`${key}: given ${kept.length} times (${kept.join(', ')}); give it once`);
      continue;
    }
    values.set(key, kept);
  }
  const each = <T>(key: string, parse: (v: string) => T | Problem): T[] => {
    const out: T[] = [];
    for (const v of values.get(key) ?? []) {
      const r = parse(v);
      if (r instanceof Problem) problems.push(`${key}: ${r.text}`);
      else out.push(r);
    }
    return out;
  };
  const oneOf = <T extends string>(allowed: readonly T[], v: string): T | Problem => {
    const l = v.toLowerCase() as T;
    if (allowed.includes(l)) return l;
    const near = closest(v, allowed);
    return bad(`${JSON.stringify(v)} is not one of ${allowed.join(', ')}${near ? `; did you mean ${near}?` : ''}`);
  };
  const one = <T>(key: string, parse: (v: string) => T | Problem, dflt: T): T => {
    const list = each(key, parse);
    return list.length > 0 ? (list[0] as T) : dflt;
  };

  const view = one('view', (v) => oneOf(['detailed', 'aggregated', 'topology'] as const, v), 'detailed' as ConnectionsView);
  const groupBy = one('group_by', (v) => oneOf(['process_name', 'pid', 'container'] as const, v), 'process_name' as TopologyGroupBy);
  const fullCmdline = one('cmdline', (v) => (v === 'full' ? true : v === 'short' ? false : bad(`${JSON.stringify(v)} is not full or short; give cmdline=full for whole command lines`)), false);
  const limit = one(
    'limit',
    (v) => {
      const n = /^\d{1,7}$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n)) return bad(`${JSON.stringify(v)} is not a whole number; give the most rows to answer, 0 to ${CONNECTIONS_MAX_LIMIT}`);
      if (n > CONNECTIONS_MAX_LIMIT) return bad(`${n} is above the most an answer holds (${CONNECTIONS_MAX_LIMIT}); give ${CONNECTIONS_MAX_LIMIT} or less and narrow the query with filters`);
      return n;
    },
    CONNECTIONS_DEFAULT_LIMIT,
  );
  const protocol = [
    ...new Set(
      each('protocol', (v): ConnectionProtocol[] | Problem => {
        const l = v.toLowerCase();
        if (l === 'tcp' || l === 'udp') return CONNECTION_PROTOCOLS.filter((p) => p.startsWith(l));
        const r = oneOf(['tcp', 'udp', ...CONNECTION_PROTOCOLS], v);
        return r instanceof Problem ? r : [r as ConnectionProtocol];
      }).flat(),
    ),
  ];
  const family = each('family', (v) => oneOf(['ipv4', 'ipv6'] as const, v));
  const state = each('state', (v) => {
    const u = v.toUpperCase().replace(/-/g, '_');
    if (STATES.has(u)) return u;
    const near = closest(u, [...STATES]);
    return bad(`${JSON.stringify(v)} is not a socket state; give one of ${[...STATES].join(', ')}${near ? ` (did you mean ${near}?)` : ''}`);
  });
  const direction = [
    ...new Set(
      each('direction', (v): ConnectionDirection[] | Problem => {
        const l = v.toLowerCase();
        if (l === 'local') return ['local-inbound', 'local-outbound'];
        const r = oneOf(['local', ...CONNECTION_DIRECTIONS.filter((d) => d !== '')], v);
        return r instanceof Problem ? r : [r as ConnectionDirection];
      }).flat(),
    ),
  ];
  const netns = each('netns', (v) => v);
  const process = each('process', (v) => (v.length > 64 ? bad(`${JSON.stringify(v.slice(0, 20))}… is longer than 64 characters; a command name has at most 15`) : v));
  const pid = each('pid', (v) => (/^\d{1,10}$/.test(v) && Number(v) > 0 ? Number(v) : bad(`${JSON.stringify(v)} is not a process id; give a whole number above 0`)));
  const container = each('container', (v) => v);
  const pod = each('pod', (v) => v);
  const namespace = each('namespace', (v) => v);
  const ports = (key: string) =>
    each(key, (v) => {
      const r = parsePortRange(v);
      return typeof r === 'string' ? bad(r) : (r as readonly [number, number]);
    });
  const port = ports('port');
  const localPort = ports('local_port');
  const remotePort = ports('remote_port');
  const address = each('address', (v) => {
    const r = parseCidr(v);
    return typeof r === 'string' ? bad(`${r}; give an address such as 10.0.0.1 or ::1, or a network such as 10.0.0.0/8`) : r;
  });
  const space = each('space', (v) => oneOf(ADDRESS_SPACES, v.replace(/-/g, '_')));
  const labels = [...new Set(each('labels', (v) => oneOf(TOPOLOGY_LABELS, v)))];
  if (view !== 'topology' && values.get('group_by')?.length) problems.push(`group_by: only the topology view groups; add view=topology or leave group_by out`);
  if (view !== 'topology' && values.get('labels')?.length) problems.push(`labels: only the topology view has labels; add view=topology or leave labels out`);

  if (problems.length > 0) throw new SockscopeError('ERR_QUERY_INVALID', problems.join('; '), problems);
  return { view, protocol, family, state, direction, netns, process, pid, container, pod, namespace, port, localPort, remotePort, address, space, groupBy, labels, fullCmdline, limit };
}
