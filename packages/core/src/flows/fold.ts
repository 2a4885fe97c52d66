import { addressSpace } from '../net/address-space.js';
import type { Labels } from '../types/family.js';
import type { ContainerInfo, SocketRecord } from '../types/socket.js';
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
/** The remote address's space: the direction enricher's, else classified here (no enricher on). */
const remoteSpace = (s: SocketRecord): string => s.remoteSpace ?? addressSpace(s.remote.address);
const spacePacked = (s: SocketRecord): string => `(RSPACE#${remoteSpace(s)})`;

/**
 * What the `container` strategy keys a socket on: the most specific owner it has, the labels of
 * the other levels empty. Kubernetes (a pod name): namespace, pod, container name; else a
 * container (its name, or the 12-character short id `docker ps` shows when it has none); else a
 * systemd unit (its human name, else as systemd spells it); else the process's comm.
 */
export interface OwnerLabels {
  namespace: string;
  pod: string;
  container: string;
  unit: string;
  process: string;
}

/** The `container` strategy's labels of a socket (see {@link OwnerLabels}). */
export function ownerLabels(s: SocketRecord): OwnerLabels {
  const c: ContainerInfo | undefined = s.container;
  if (c !== undefined) {
    const container = c.name ?? (c.id !== undefined ? c.id.slice(0, 12) : '');
    if (c.pod !== undefined) return { namespace: c.namespace ?? '', pod: c.pod, container, unit: '', process: '' };
    if (c.id !== undefined) return { namespace: '', pod: '', container, unit: '', process: '' };
    const unit = c.unitName ?? c.systemdUnit;
    if (unit !== undefined) return { namespace: '', pod: '', container: '', unit, process: '' };
  }
  return { namespace: '', pod: '', container: '', unit: '', process: comm(s) };
}

/** `(NAMESPACE#ns)(POD#pod)(CTR#name)(UNIT#unit)(PROC#comm)`, every part present, empty when it does not apply. */
const ownerPacked = (o: OwnerLabels): string => `(NAMESPACE#${o.namespace})(POD#${o.pod})(CTR#${o.container})(UNIT#${o.unit})(PROC#${o.process})`;

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
    names: ['process', 'dst', 'dst_port', 'remote_space'],
    key: (s) => comm(s) + SEP + s.remote.address + SEP + s.remote.port + SEP + remoteSpace(s),
    labels: (s) => ({ process: comm(s), dst: s.remote.address, dst_port: String(s.remote.port), remote_space: remoteSpace(s) }),
    packed: (s) => `(${comm(s)})${dstPacked(s)}${spacePacked(s)}`,
  },
  service: {
    // Inbound flows fold onto the port they were accepted on; outbound onto where they go. Both
    // are told apart by the peer's address space: "inbound on 443 from the Internet" is its own series.
    names: ['direction', 'process', 'local_port', 'dst', 'dst_port', 'remote_space'],
    key: (s, inbound) =>
      inbound
        ? 'i' + SEP + comm(s) + SEP + s.local.port + SEP + remoteSpace(s)
        : 'o' + SEP + comm(s) + SEP + s.remote.address + SEP + s.remote.port + SEP + remoteSpace(s),
    labels: (s, inbound) =>
      inbound
        ? { direction: 'inbound', process: comm(s), local_port: String(s.local.port), dst: '', dst_port: '', remote_space: remoteSpace(s) }
        : { direction: 'outbound', process: comm(s), local_port: '', dst: s.remote.address, dst_port: String(s.remote.port), remote_space: remoteSpace(s) },
    packed: (s, inbound) => (inbound ? `(${comm(s)})(SVC#${s.local.port})${spacePacked(s)}` : `(${comm(s)})${dstPacked(s)}${spacePacked(s)}`),
  },
  process: {
    names: ['process'],
    key: (s) => comm(s),
    labels: (s) => ({ process: comm(s) }),
    packed: (s) => `(${comm(s)})`,
  },
  container: {
    // Names, not ids: the most specific owner the socket has (see ownerLabels). Each level has its
    // own place in the key, so a unit and a process of the same name stay two series.
    names: ['namespace', 'pod', 'container', 'unit', 'process'],
    key: (s) => {
      const o = ownerLabels(s);
      return o.namespace + SEP + o.pod + SEP + o.container + SEP + o.unit + SEP + o.process;
    },
    labels: (s) => ({ ...ownerLabels(s) }),
    packed: (s) => ownerPacked(ownerLabels(s)),
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
