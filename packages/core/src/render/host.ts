import { CONNECTION_STATE_VALUES, derivedOtelMapping } from '../catalog/otel.js';
import type { MetricFamily, MetricType, OtelMapping, Sample } from '../types/family.js';
import type { HostStats, InterfaceInfo, InterfaceStats, SoftnetStats, TransportPackets } from '../types/host.js';
import { BoundedMemo } from '../util/bounded-memo.js';

// Names, label names, types and HELP follow node_exporter (netdev, netclass, netstat, sockstat,
// conntrack, softnet collectors) so existing dashboards and alert rules keep working. Every family
// carries its OTLP mapping: a semantic-convention metric where one exists (system.network.*), else
// the name derived from the Prometheus one (catalog/otel.ts: node_netstat_Tcp_RetransSegs →
// node.netstat.tcp.retrans_segs), typed by what the value is rather than by node_exporter's type.

const DEVICE_TO_OTEL = { device: 'network.interface.name' } as const;

/** /proc/net/dev counters that have an OpenTelemetry semantic-convention metric. */
const NETDEV_OTEL: Readonly<Record<string, OtelMapping>> = {
  receive_bytes: io('system.network.io', 'By', 'receive'),
  transmit_bytes: io('system.network.io', 'By', 'transmit'),
  receive_packets: io('system.network.packet.count', '{packet}', 'receive'),
  transmit_packets: io('system.network.packet.count', '{packet}', 'transmit'),
  receive_drop: io('system.network.packet.dropped', '{packet}', 'receive'),
  transmit_drop: io('system.network.packet.dropped', '{packet}', 'transmit'),
  receive_errs: io('system.network.errors', '{error}', 'receive'),
  transmit_errs: io('system.network.errors', '{error}', 'transmit'),
};

function io(name: string, unit: string, direction: 'receive' | 'transmit'): OtelMapping {
  return { name, unit, attributes: { 'network.io.direction': direction }, labelMap: DEVICE_TO_OTEL };
}

/** Softnet columns that count packets (the others count events). */
const SOFTNET_PACKETS: ReadonlySet<string> = new Set(['processed_total', 'dropped_total', 'backlog_len']);

/** `cpu` of softnet → the conventions' `cpu.logical_number`. */
const CPU_TO_OTEL = { cpu: 'cpu.logical_number' } as const;

/** A family's derived OTel mapping (no semantic-convention metric covers it), with extras. */
function derived(name: string, type: MetricType, extra: Partial<OtelMapping> = {}): OtelMapping {
  return derivedOtelMapping({ name, type }, extra);
}

/**
 * /proc/net/snmp fields that are gauges (RFC 1213 / 4293 objects that are not Counter32): the
 * rest of node_netstat_* (snmp, snmp6, netstat's TcpExt/IpExt/MPTcpExt) are event counters, which
 * node_exporter leaves untyped because the files mix both. Over OTLP the counters are monotonic
 * sums, these gauges.
 */
const NETSTAT_GAUGES: ReadonlySet<string> = new Set(['Ip_Forwarding', 'Ip_DefaultTTL', 'Tcp_RtoAlgorithm', 'Tcp_RtoMin', 'Tcp_RtoMax', 'Tcp_MaxConn', 'Tcp_CurrEstab']);

/** The UCUM unit of a sockstat field: pages, bytes or sockets. */
function sockstatUnit(field: string): string {
  if (field === 'mem') return '{page}';
  if (field === 'mem_bytes' || field === 'memory') return 'By';
  return '{socket}';
}

/** netclass property families: name suffix, type, and the fact they publish (absent facts publish nothing). */
const NETCLASS: ReadonlyArray<readonly [string, MetricType, keyof InterfaceInfo]> = [
  ['address_assign_type', 'gauge', 'addressAssignType'],
  ['carrier', 'gauge', 'carrier'],
  ['carrier_changes_total', 'counter', 'carrierChanges'],
  ['carrier_up_changes_total', 'counter', 'carrierUpChanges'],
  ['carrier_down_changes_total', 'counter', 'carrierDownChanges'],
  ['device_id', 'gauge', 'devId'],
  ['dormant', 'gauge', 'dormant'],
  ['flags', 'gauge', 'flags'],
  ['iface_id', 'gauge', 'ifindex'],
  ['iface_link', 'gauge', 'iflink'],
  ['iface_link_mode', 'gauge', 'linkMode'],
  ['mtu_bytes', 'gauge', 'mtu'],
  ['name_assign_type', 'gauge', 'nameAssignType'],
  ['net_dev_group', 'gauge', 'netDevGroup'],
  ['speed_bytes', 'gauge', 'speedBytes'],
  ['transmit_queue_length', 'gauge', 'txQueueLen'],
  ['protocol_type', 'gauge', 'type'],
];

/** conntrack statistics node_exporter publishes, with its HELP. */
const CONNTRACK_STATS: ReadonlyArray<readonly [string, string]> = [
  ['found', 'Number of searched entries which were successful.'],
  ['invalid', 'Number of packets seen which can not be tracked.'],
  ['ignore', 'Number of packets seen which are already connected to a conntrack entry.'],
  ['insert', 'Number of entries inserted into the list.'],
  ['insert_failed', 'Number of entries for which list insertion was attempted but failed.'],
  ['drop', 'Number of packets dropped due to conntrack failure.'],
  ['early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.'],
  ['search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.'],
];

/** softnet families: name, type, HELP, and the per-CPU field. */
const SOFTNET: ReadonlyArray<readonly [string, MetricType, string, keyof SoftnetStats]> = [
  ['processed_total', 'counter', 'Number of processed packets', 'processed'],
  ['dropped_total', 'counter', 'Number of dropped packets', 'dropped'],
  ['times_squeezed_total', 'counter', 'Number of times processing packets ran out of quota', 'timesSqueezed'],
  ['cpu_collision_total', 'counter', 'Number of collision occur while obtaining device lock while transmitting', 'cpuCollision'],
  ['received_rps_total', 'counter', 'Number of times cpu woken up received_rps', 'receivedRps'],
  ['flow_limit_count_total', 'counter', 'Number of times flow limit has been reached', 'flowLimitCount'],
  ['backlog_len', 'gauge', 'Softnet backlog status', 'backlogLen'],
];

/**
 * node_exporter's FreeBSD netstat `state` label values, by TCPS_* number, keyed by the sockscope
 * state name HostStats.tcpStates uses.
 */
const TCP_STATE_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['CLOSE', 'CLOSED'],
  ['LISTEN', 'LISTEN'],
  ['SYN_SENT', 'SYN_SENT'],
  ['SYN_RECV', 'SYN_RCVD'],
  ['ESTABLISHED', 'ESTABLISHED'],
  ['CLOSE_WAIT', 'CLOSE_WAIT'],
  ['FIN_WAIT1', 'FIN_WAIT_1'],
  ['CLOSING', 'CLOSING'],
  ['LAST_ACK', 'LAST_ACK'],
  ['FIN_WAIT2', 'FIN_WAIT_2'],
  ['TIME_WAIT', 'TIME_WAIT'],
];

// Not system.network.connection.count: sockscope_sockets, counted from the same kernel's socket
// list, is that metric, and the two under one name would count every TCP connection twice.
const TCP_CONNECTIONS_OTEL: OtelMapping = {
  name: 'node.netstat.tcp.connections',
  unit: '{connection}',
  attributes: { 'network.transport': 'tcp' },
  labelMap: { state: 'network.connection.state' },
  values: { state: CONNECTION_STATE_VALUES },
  monotonic: false,
};

/** conntrack's table size and limit: the OpenTelemetry Collector's hostmetrics names (up-down sums). */
const CONNTRACK_OTEL = {
  entries: { name: 'system.network.conntrack.count', unit: '{entries}', monotonic: false },
  limit: { name: 'system.network.conntrack.max', unit: '{entries}', monotonic: false },
} as const satisfies Record<string, OtelMapping>;

/** Transport packet counters: protocol, HELP's protocol name. */
const TRANSPORT_PACKETS: ReadonlyArray<readonly [keyof TransportPackets, string]> = [
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
];

/**
 * Renders host counters as node_exporter's families: `node_network_*`, `node_netstat_*`
 * (including the FreeBSD netstat collector's `node_netstat_tcp_connections{state}` and
 * `node_netstat_{tcp,udp}_{transmit,receive}_packets_total`), `node_sockstat_*`,
 * `node_nf_conntrack_*` and `node_softnet_*`, sorted by name. A part of HostStats that is
 * absent renders nothing; a family with no samples is left out.
 */
export function renderHostFamilies(host: HostStats): MetricFamily[] {
  const out: MetricFamily[] = [];
  if (host.interfaces) renderInterfaces(host.interfaces, out);
  if (host.protocols) {
    for (const proto in host.protocols) {
      const row = host.protocols[proto] as Readonly<Record<string, number>>;
      const shapes = netstatShapes.get(proto);
      for (const field in row) out.push(single(shapes.get(field), row[field] as number));
    }
  }
  if (host.sockstat) {
    for (const proto in host.sockstat) {
      const row = host.sockstat[proto] as Readonly<Record<string, number>>;
      const shapes = sockstatShapes.get(proto);
      for (const field in row) out.push(single(shapes.get(field), row[field] as number));
    }
  }
  const ct = host.conntrack;
  if (ct?.entries !== undefined) out.push(single(CONNTRACK_ENTRIES, ct.entries));
  if (ct?.limit !== undefined) out.push(single(CONNTRACK_LIMIT, ct.limit));
  if (ct?.stats) {
    for (const s of CONNTRACK_STAT_SHAPES) {
      const v = ct.stats[s.key];
      if (v !== undefined) out.push(single(s, v));
    }
  }
  if (host.tcpStates) out.push(tcpConnections(host.tcpStates));
  if (host.transportPackets) {
    for (const t of TRANSPORT_SHAPES) {
      const c = host.transportPackets[t.proto];
      if (!c) continue;
      out.push(single(t.transmit, c.transmit));
      out.push(single(t.receive, c.receive));
    }
  }
  if (host.softnet) {
    const cpus = [...host.softnet].sort((a, b) => a.cpu - b.cpu);
    for (const f of SOFTNET_SHAPES) {
      const samples: Sample[] = [];
      for (const s of cpus) {
        const v = s[f.key];
        if (v !== undefined) samples.push({ labels: cpuLabels(s.cpu), value: v });
      }
      if (samples.length > 0) out.push(family(f, samples));
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// What a host family is besides its values (name, HELP, type, OTel mapping) is the same every
// scrape: made once per name, not rebuilt with its strings for each of the ~300 families a scrape
// (a host-only scrape allocated ~400 KB, most of it these and the label objects below).
/** The parts of a family that do not change between scrapes. */
interface Shape {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly otel: OtelMapping;
}

function shape(name: string, help: string, type: MetricType, otel: OtelMapping): Shape {
  return { name: metricName(name), help, type, otel };
}

function family(s: Shape, samples: Sample[]): MetricFamily {
  return { name: s.name, help: s.help, type: s.type, otel: s.otel, samples };
}

/** A family of one sample without labels. */
function single(s: Shape, value: number): MetricFamily {
  return family(s, [{ labels: NO_LABELS, value }]);
}

/** The labels of a sample without any: one object for all of them (the exposition keeps its bytes by labels object). */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Shapes and label sets are remembered by name. Kernel counter names are bounded by the kernel,
 * interface names are not (a veth per container): past this many a memo starts over.
 */
const MAX_NAMES = 4096;

/** netstat and sockstat shapes by protocol, then field. */
const netstatShapes = new BoundedMemo(MAX_NAMES, (proto: string) => new BoundedMemo(MAX_NAMES, (field: string) => netstatShape(proto, field)));
const sockstatShapes = new BoundedMemo(MAX_NAMES, (proto: string) => new BoundedMemo(MAX_NAMES, (field: string) => sockstatShape(proto, field)));

function netstatShape(proto: string, field: string): Shape {
  // untyped, as node_exporter: the files mix counters (InSegs) with gauges (CurrEstab, Forwarding).
  const name = `node_netstat_${proto}_${field}`;
  const otel = derived(name, 'untyped', NETSTAT_GAUGES.has(`${proto}_${field}`) ? {} : { monotonic: true });
  return shape(name, `Statistic ${proto}${field}.`, 'untyped', otel);
}

function sockstatShape(proto: string, field: string): Shape {
  const help = proto === 'sockets' && field === 'used' ? 'Number of IPv4 sockets in use.' : `Number of ${proto} sockets in state ${field}.`;
  const name = `node_sockstat_${proto}_${field}`;
  return shape(name, help, 'gauge', derived(name, 'gauge', { unit: sockstatUnit(field) }));
}

const CONNTRACK_ENTRIES = shape('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', 'gauge', CONNTRACK_OTEL.entries);
const CONNTRACK_LIMIT = shape('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', 'gauge', CONNTRACK_OTEL.limit);
// gauges to node_exporter, but each is an event count since boot: a monotonic sum over OTLP
const CONNTRACK_STAT_SHAPES = CONNTRACK_STATS.map(([key, help]) => {
  const name = `node_nf_conntrack_stat_${key}`;
  return { key, ...shape(name, help, 'gauge', derived(name, 'gauge', { unit: '1', monotonic: true })) };
});
const TRANSPORT_SHAPES = TRANSPORT_PACKETS.map(([proto, name]) => {
  const tx = `node_netstat_${proto}_transmit_packets_total`;
  const rx = `node_netstat_${proto}_receive_packets_total`;
  return {
    proto,
    transmit: shape(tx, `${name} packets sent`, 'counter', derived(tx, 'counter', { unit: '{packet}' })),
    receive: shape(rx, `${name} packets received`, 'counter', derived(rx, 'counter', { unit: '{packet}' })),
  };
});
const SOFTNET_SHAPES = SOFTNET.map(([suffix, type, help, key]) => {
  const name = `node_softnet_${suffix}`;
  return { key, ...shape(name, help, type, derived(name, type, { unit: SOFTNET_PACKETS.has(suffix) ? '{packet}' : '1', labelMap: CPU_TO_OTEL })) };
});

// One labels object per device and per CPU, kept from scrape to scrape: the exposition finds
// each series' label bytes by its labels object instead of encoding them again every scrape.
const deviceSets = new BoundedMemo(MAX_NAMES, (device: string) => Object.freeze({ device }));
const cpuSets = new BoundedMemo(MAX_NAMES, (cpu: number) => Object.freeze({ cpu: String(cpu) }));
const deviceLabels = (device: string) => deviceSets.get(device);
const cpuLabels = (cpu: number) => cpuSets.get(cpu);

const TCP_STATE_SETS = TCP_STATE_LABELS.map(([key, state]) => [key, Object.freeze({ state })] as const);
const KNOWN_TCP_STATES: ReadonlySet<string> = new Set(TCP_STATE_LABELS.map(([key]) => key));

/** node_exporter's FreeBSD `node_netstat_tcp_connections{state}`: every TCPS_* state in kernel order, then any other key. */
function tcpConnections(states: Readonly<Record<string, number>>): MetricFamily {
  const samples: Sample[] = TCP_STATE_SETS.map(([key, labels]) => ({ labels, value: states[key] ?? 0 }));
  for (const key of Object.keys(states).sort()) {
    const v = states[key];
    if (!KNOWN_TCP_STATES.has(key) && v !== undefined) samples.push({ labels: { state: key }, value: v });
  }
  return { name: 'node_netstat_tcp_connections', help: 'Number of TCP connections per state', type: 'gauge', otel: TCP_CONNECTIONS_OTEL, samples };
}

function renderInterfaces(ifaces: readonly InterfaceStats[], out: MetricFamily[]): void {
  const byDevice = [...ifaces].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  const counterKeys = new Set<string>();
  for (const i of byDevice) for (const k of Object.keys(i.counters)) counterKeys.add(k);
  for (const key of counterKeys) {
    const samples: Sample[] = [];
    for (const i of byDevice) {
      const v = i.counters[key];
      if (v !== undefined) samples.push({ labels: deviceLabels(i.device), value: v });
    }
    out.push(family(netdevShapes.get(key), samples));
  }

  const withInfo = byDevice.filter((i): i is InterfaceStats & { info: InterfaceInfo } => i.info !== undefined);
  if (withInfo.length === 0) return;
  out.push(family(NETWORK_UP, withInfo.map((i) => ({ labels: deviceLabels(i.device), value: i.info.operstate === 'up' ? 1 : 0 }))));
  out.push(
    family(
      NETWORK_INFO,
      withInfo.map(({ device, info }) => ({
      labels: {
        address: info.address ?? '',
        adminstate: info.flags === undefined ? 'unknown' : (info.flags & 1) === 1 ? 'up' : 'down',
        broadcast: info.broadcast ?? '',
        device,
        duplex: info.duplex ?? '',
        ifalias: info.ifalias ?? '',
        operstate: info.operstate ?? '',
      },
      value: 1,
      })),
    ),
  );
  for (const f of NETCLASS_SHAPES) {
    const samples: Sample[] = [];
    for (const i of withInfo) {
      const v = i.info[f.key];
      if (typeof v === 'number') samples.push({ labels: deviceLabels(i.device), value: v });
    }
    if (samples.length > 0) out.push(family(f, samples));
  }
}

const NETWORK_UP = shape('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", 'gauge', derived('node_network_up', 'gauge', { labelMap: DEVICE_TO_OTEL }));
const NETWORK_INFO = shape('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 'gauge', derived('node_network_info', 'gauge', { labelMap: DEVICE_TO_OTEL }));
const NETCLASS_SHAPES = NETCLASS.map(([suffix, type, key]) => {
  const name = `node_network_${suffix}`;
  // speed_bytes is a rate (bytes per second); mtu_bytes a size
  return { key, ...shape(name, `Network device property: ${suffix}`, type, derived(name, type, { labelMap: DEVICE_TO_OTEL, ...(suffix === 'speed_bytes' ? { unit: 'By/s' } : {}) })) };
});
/** /proc/net/dev columns by name (the kernel's, a few dozen at most). */
const netdevShapes = new BoundedMemo(MAX_NAMES, (key: string) => {
  const name = `node_network_${key}_total`;
  return shape(name, `Network device statistic ${key}.`, 'counter', NETDEV_OTEL[key] ?? derived(name, 'counter', { labelMap: DEVICE_TO_OTEL }));
});

// Kernel field names are alphanumeric today; keep a future odd character from producing an
// exposition line Prometheus rejects.
function metricName(name: string): string {
  let ok = true;
  for (let i = 0; i < name.length && ok; i++) {
    const c = name.charCodeAt(i);
    ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
  }
  return ok ? name : name.replace(/[^a-zA-Z0-9_:]/g, '_');
}
