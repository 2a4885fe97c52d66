import type { Labels } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import type { FoldingStrategy, LabelStyle } from './schema.js';

/** Turns a socket into its series key and, once per new series, its labels. */
export interface FlowKeyer {
  /** Label names every series of this strategy carries. */
  readonly labelNames: readonly string[];
  /** The series key: a plain string join (separate labels) or the packed flow label itself. */
  key(s: SocketRecord, inbound: boolean): string;
  /** Labels of a new series (called once per key, not per socket). */
  labels(s: SocketRecord, inbound: boolean, key: string): Labels;
  /** Labels of the series that collects flows over max_series: every value `other`. */
  readonly otherLabels: Labels;
}

/** Value of a series' label when flows over max_series are merged into it. */
export const OTHER = 'other';

const SEP = '\u0001';
const comm = (s: SocketRecord): string => s.process?.comm ?? '';
const pid = (s: SocketRecord): string => (s.process ? String(s.process.pid) : '');
const dstPacked = (s: SocketRecord): string => `(DST#${s.remote.address}|${s.remote.port})`;
const rawPacked = (s: SocketRecord): string => `(SRC#${s.local.address}|${s.local.port})${dstPacked(s)}`;

interface Strategy {
  names: readonly string[];
  key(s: SocketRecord, inbound: boolean): string;
  labels(s: SocketRecord, inbound: boolean): Record<string, string>;
  /**
   * prometheus_ss_exporter's packed form: `(SRC#ip|port)(DST#ip|port)` and `(pid)(DST#ip|port)`
   * exactly as it writes them (falling back to the raw form when the pid is unknown, as it
   * does); the strategies it lacks pack their labels the same way.
   */
  packed(s: SocketRecord, inbound: boolean): string;
}

const strategies: Record<FoldingStrategy, Strategy> = {
  raw_endpoint: {
    names: ['src', 'src_port', 'dst', 'dst_port'],
    key: (s) => s.local.address + SEP + s.local.port + SEP + s.remote.address + SEP + s.remote.port,
    labels: (s) => ({ src: s.local.address, src_port: String(s.local.port), dst: s.remote.address, dst_port: String(s.remote.port) }),
    packed: rawPacked,
  },
  pid_condensed: {
    names: ['pid', 'process', 'dst', 'dst_port'],
    key: (s) => pid(s) + SEP + comm(s) + SEP + s.remote.address + SEP + s.remote.port,
    labels: (s) => ({ pid: pid(s), process: comm(s), dst: s.remote.address, dst_port: String(s.remote.port) }),
    packed: (s) => (s.process ? `(${s.process.pid})${dstPacked(s)}` : rawPacked(s)),
  },
  peer: {
    names: ['process', 'dst', 'dst_port'],
    key: (s) => comm(s) + SEP + s.remote.address + SEP + s.remote.port,
    labels: (s) => ({ process: comm(s), dst: s.remote.address, dst_port: String(s.remote.port) }),
    packed: (s) => `(${comm(s)})${dstPacked(s)}`,
  },
  service: {
    // Inbound flows fold onto the port they were accepted on; outbound onto where they go.
    names: ['direction', 'process', 'local_port', 'dst', 'dst_port'],
    key: (s, inbound) =>
      inbound ? 'i' + SEP + comm(s) + SEP + s.local.port : 'o' + SEP + comm(s) + SEP + s.remote.address + SEP + s.remote.port,
    labels: (s, inbound) =>
      inbound
        ? { direction: 'inbound', process: comm(s), local_port: String(s.local.port), dst: '', dst_port: '' }
        : { direction: 'outbound', process: comm(s), local_port: '', dst: s.remote.address, dst_port: String(s.remote.port) },
    packed: (s, inbound) => (inbound ? `(${comm(s)})(SVC#${s.local.port})` : `(${comm(s)})${dstPacked(s)}`),
  },
  process: {
    names: ['process'],
    key: (s) => comm(s),
    labels: (s) => ({ process: comm(s) }),
    packed: (s) => `(${comm(s)})`,
  },
  container: {
    names: ['container_id', 'pod_uid', 'unit'],
    key: (s) => (s.container?.id ?? '') + SEP + (s.container?.podUid ?? '') + SEP + (s.container?.systemdUnit ?? ''),
    labels: (s) => ({ container_id: s.container?.id ?? '', pod_uid: s.container?.podUid ?? '', unit: s.container?.systemdUnit ?? '' }),
    packed: (s) => `(CTR#${s.container?.id ?? ''})(POD#${s.container?.podUid ?? ''})(UNIT#${s.container?.systemdUnit ?? ''})`,
  },
};

/** Strategies whose series show addresses: they carry `netns` when more than one namespace is read. */
const SHOWS_ADDRESSES: ReadonlySet<FoldingStrategy> = new Set(['raw_endpoint', 'pid_condensed', 'peer', 'service']);

/** The `netns` label value of a socket: its namespace's name, else its inode, else empty. */
const netnsOf = (s: SocketRecord): string => s.netnsName ?? (s.netns === undefined ? '' : String(s.netns));

/**
 * The strategy with the socket's network namespace added: a `netns` label after the others, a
 * `(NS#name-or-inode)` part at the end of the packed form, and the key told apart by it. Two
 * containers connecting the same 127.0.0.1 4-tuple in their own namespaces are two flows.
 */
function withNetns(st: Strategy): Strategy {
  return {
    names: [...st.names, 'netns'],
    key: (s, inbound) => netnsOf(s) + SEP + st.key(s, inbound),
    labels: (s, inbound) => ({ ...st.labels(s, inbound), netns: netnsOf(s) }),
    packed: (s, inbound) => `${st.packed(s, inbound)}(NS#${netnsOf(s)})`,
  };
}

/** Options of a keyer. */
export interface FlowKeyerOptions {
  /**
   * More than one network namespace is read: strategies that show addresses (raw_endpoint,
   * pid_condensed, peer, service) key and label by namespace too. Default false.
   */
  netns?: boolean;
}

/** The keyer of a folding strategy in a label style. */
export function createFlowKeyer(folding: FoldingStrategy, style: LabelStyle, options: FlowKeyerOptions = {}): FlowKeyer {
  const st = options.netns && SHOWS_ADDRESSES.has(folding) ? withNetns(strategies[folding]) : strategies[folding];
  if (style === 'flow') {
    return {
      labelNames: ['flow'],
      key: st.packed,
      labels: (_s, _i, key) => Object.freeze({ flow: key }),
      otherLabels: Object.freeze({ flow: OTHER }),
    };
  }
  return {
    labelNames: st.names,
    key: st.key,
    labels: (s, inbound) => Object.freeze(st.labels(s, inbound)),
    otherLabels: Object.freeze(Object.fromEntries(st.names.map((n) => [n, OTHER]))),
  };
}
