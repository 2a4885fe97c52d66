import { CONNECTION_STATE_VALUES, derivedOtelMapping } from '../catalog/otel.js';
import type { MetricFamily, MetricType, OtelMapping, Sample } from '../types/family.js';
import type { HostStats, InterfaceInfo, InterfaceStats, SoftnetStats, TransportPackets } from '../types/host.js';

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
    for (const [proto, row] of Object.entries(host.protocols)) {
      for (const [field, value] of Object.entries(row)) {
        // untyped, as node_exporter: the files mix counters (InSegs) with gauges (CurrEstab, Forwarding).
        const name = `node_netstat_${proto}_${field}`;
        const otel = derived(name, 'untyped', NETSTAT_GAUGES.has(`${proto}_${field}`) ? {} : { monotonic: true });
        out.push(single(name, `Statistic ${proto}${field}.`, 'untyped', value, otel));
      }
    }
  }
  if (host.sockstat) {
    for (const [proto, row] of Object.entries(host.sockstat)) {
      for (const [field, value] of Object.entries(row)) {
        const help = proto === 'sockets' && field === 'used' ? 'Number of IPv4 sockets in use.' : `Number of ${proto} sockets in state ${field}.`;
        const name = `node_sockstat_${proto}_${field}`;
        out.push(single(name, help, 'gauge', value, derived(name, 'gauge', { unit: sockstatUnit(field) })));
      }
    }
  }
  const ct = host.conntrack;
  if (ct?.entries !== undefined) out.push(single('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', 'gauge', ct.entries, CONNTRACK_OTEL.entries));
  if (ct?.limit !== undefined) out.push(single('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', 'gauge', ct.limit, CONNTRACK_OTEL.limit));
  if (ct?.stats) {
    for (const [key, help] of CONNTRACK_STATS) {
      const v = ct.stats[key];
      // gauges to node_exporter, but each is an event count since boot: a monotonic sum over OTLP
      const name = `node_nf_conntrack_stat_${key}`;
      if (v !== undefined) out.push(single(name, help, 'gauge', v, derived(name, 'gauge', { unit: '1', monotonic: true })));
    }
  }
  if (host.tcpStates) out.push(tcpConnections(host.tcpStates));
  if (host.transportPackets) {
    for (const [proto, name] of TRANSPORT_PACKETS) {
      const c = host.transportPackets[proto];
      if (!c) continue;
      const tx = `node_netstat_${proto}_transmit_packets_total`;
      const rx = `node_netstat_${proto}_receive_packets_total`;
      out.push(single(tx, `${name} packets sent`, 'counter', c.transmit, derived(tx, 'counter', { unit: '{packet}' })));
      out.push(single(rx, `${name} packets received`, 'counter', c.receive, derived(rx, 'counter', { unit: '{packet}' })));
    }
  }
  if (host.softnet) {
    const cpus = [...host.softnet].sort((a, b) => a.cpu - b.cpu);
    for (const [suffix, type, help, key] of SOFTNET) {
      const samples: Sample[] = [];
      for (const s of cpus) {
        const v = s[key];
        if (v !== undefined) samples.push({ labels: { cpu: String(s.cpu) }, value: v });
      }
      const name = `node_softnet_${suffix}`;
      if (samples.length > 0) out.push({ name, help, type, samples, otel: derived(name, type, { unit: SOFTNET_PACKETS.has(suffix) ? '{packet}' : '1', labelMap: CPU_TO_OTEL }) });
    }
  }
  for (const f of out) f.name = metricName(f.name);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** node_exporter's FreeBSD `node_netstat_tcp_connections{state}`: every TCPS_* state in kernel order, then any other key. */
function tcpConnections(states: Readonly<Record<string, number>>): MetricFamily {
  const samples: Sample[] = TCP_STATE_LABELS.map(([key, state]) => ({ labels: { state }, value: states[key] ?? 0 }));
  const known = new Set(TCP_STATE_LABELS.map(([key]) => key));
  for (const key of Object.keys(states).sort()) {
    const v = states[key];
    if (!known.has(key) && v !== undefined) samples.push({ labels: { state: key }, value: v });
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
      if (v !== undefined) samples.push({ labels: { device: i.device }, value: v });
    }
    const name = `node_network_${key}_total`;
    out.push({ name, help: `Network device statistic ${key}.`, type: 'counter', samples, otel: NETDEV_OTEL[key] ?? derived(name, 'counter', { labelMap: DEVICE_TO_OTEL }) });
  }

  const withInfo = byDevice.filter((i): i is InterfaceStats & { info: InterfaceInfo } => i.info !== undefined);
  if (withInfo.length === 0) return;
  out.push({
    name: 'node_network_up',
    help: "Value is 1 if operstate is 'up', 0 otherwise.",
    type: 'gauge',
    otel: derived('node_network_up', 'gauge', { labelMap: DEVICE_TO_OTEL }),
    samples: withInfo.map((i) => ({ labels: { device: i.device }, value: i.info.operstate === 'up' ? 1 : 0 })),
  });
  out.push({
    name: 'node_network_info',
    help: 'Non-numeric data from /sys/class/net/<iface>, value is always 1.',
    type: 'gauge',
    otel: derived('node_network_info', 'gauge', { labelMap: DEVICE_TO_OTEL }),
    samples: withInfo.map(({ device, info }) => ({
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
  });
  for (const [suffix, type, key] of NETCLASS) {
    const samples: Sample[] = [];
    for (const i of withInfo) {
      const v = i.info[key];
      if (typeof v === 'number') samples.push({ labels: { device: i.device }, value: v });
    }
    const name = `node_network_${suffix}`;
    // speed_bytes is a rate (bytes per second); mtu_bytes a size
    const otel = derived(name, type, { labelMap: DEVICE_TO_OTEL, ...(suffix === 'speed_bytes' ? { unit: 'By/s' } : {}) });
    if (samples.length > 0) out.push({ name, help: `Network device property: ${suffix}`, type, samples, otel });
  }
}

function single(name: string, help: string, type: MetricType, value: number, otel: OtelMapping): MetricFamily {
  return { name, help, type, otel, samples: [{ labels: {}, value }] };
}

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
