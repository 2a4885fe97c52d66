import { describe, expect, it } from 'vitest';
import type { HostStats } from '../types/host.js';
import type { MetricFamily } from '../types/family.js';
import { CONNECTION_STATE_VALUES } from '../catalog/otel.js';
import { renderHostFamilies } from './host.js';

// Values taken from this host's own /proc/net and /sys/class/net (eth0, lo and a down ifb0).
const host: HostStats = {
  interfaces: [
    {
      device: 'eth0',
      counters: { receive_bytes: 205859611, receive_packets: 6121, receive_errs: 0, receive_drop: 1, receive_fifo: 0, transmit_bytes: 464031, transmit_packets: 4214, transmit_errs: 2, transmit_drop: 0, receive_nohandler: 0 },
      info: { address: '02:fc:00:00:00:01', broadcast: 'ff:ff:ff:ff:ff:ff', operstate: 'up', duplex: 'unknown', ifalias: '', ifindex: 4, iflink: 4, type: 1, speedBytes: -125000, mtu: 1400, carrier: 1, carrierChanges: 2, carrierUpChanges: 1, carrierDownChanges: 1, txQueueLen: 1000, flags: 4099, up: true, addressAssignType: 0, nameAssignType: 1, dormant: 0, netDevGroup: 0, devId: 0, linkMode: 0 },
    },
    {
      device: 'ifb0',
      counters: { receive_bytes: 0, transmit_bytes: 0 },
      info: { address: 'da:bb:e6:6f:75:0e', broadcast: 'ff:ff:ff:ff:ff:ff', operstate: 'down', ifalias: '', ifindex: 2, iflink: 2, type: 1, mtu: 1500, carrierChanges: 0, txQueueLen: 32, flags: 130, addressAssignType: 1, netDevGroup: 0, devId: 0, linkMode: 0 },
    },
    { device: 'lo', counters: { receive_bytes: 33417 }, info: { operstate: 'unknown', address: '00:00:00:00:00:00', mtu: 65536, flags: 9, type: 772 } },
    { device: 'gone', counters: {} },
  ],
  protocols: { Tcp: { RetransSegs: 12, MaxConn: -1 }, Ip6: { InOctets: 9 } },
  sockstat: { sockets: { used: 16 }, TCP: { inuse: 4, mem: 372, mem_bytes: 372 * 4096 }, FRAG6: { inuse: 0, memory: 0 } },
  conntrack: { entries: 3, limit: 262144, stats: { found: 1, invalid: 2, ignore: 3, insert: 4, insert_failed: 5, drop: 6, early_drop: 7, search_restart: 8, new: 99, clashres: 99 } },
  softnet: [
    { cpu: 1, processed: 6147, dropped: 0, timesSqueezed: 0, cpuCollision: 0, receivedRps: 0, flowLimitCount: 0, backlogLen: 0 },
    { cpu: 0, processed: 8, dropped: 0, timesSqueezed: 0 },
  ],
};

const families = renderHostFamilies(host);
const byName = new Map(families.map((f) => [f.name, f]));
const fam = (name: string): MetricFamily => {
  const f = byName.get(name);
  if (!f) throw new Error(`no family ${name}; have ${[...byName.keys()].join(', ')}`);
  return f;
};
const values = (name: string): Record<string, number> =>
  Object.fromEntries((fam(name).samples ?? []).map((s) => [Object.values(s.labels).join(',') || '-', s.value]));

describe('renderHostFamilies', () => {
  it('publishes each family once, sorted by name like node_exporter', () => {
    const names = families.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
    expect(families.every((f) => (f.samples ?? []).length > 0)).toBe(true);
  });

  it('renders the same host twice into equal families whose label objects are the same ones (the exposition keeps label bytes by object)', () => {
    const again = renderHostFamilies(structuredClone(host));
    expect(again).toEqual(families);
    const labelsOf = (fs: MetricFamily[], name: string) => (fs.find((f) => f.name === name)?.samples ?? []).map((s) => s.labels);
    for (const name of ['node_network_receive_bytes_total', 'node_network_up', 'node_network_mtu_bytes', 'node_softnet_processed_total', 'node_netstat_Tcp_RetransSegs', 'node_sockstat_TCP_inuse', 'node_nf_conntrack_entries']) {
      const before = labelsOf(families, name);
      const after = labelsOf(again, name);
      expect(after.length, name).toBeGreaterThan(0);
      after.forEach((l, i) => expect(l, `${name} sample ${i}`).toBe(before[i]));
    }
    const states = () => renderHostFamilies({ tcpStates: { ESTABLISHED: 3, LISTEN: 1 } })[0]?.samples?.map((x) => x.labels) ?? [];
    expect(states()).toEqual(states());
    states().forEach((l, i) => expect(l).toBe(states()[i]));
    // a new interface gets labels of its own; the others keep theirs
    const more = renderHostFamilies({ interfaces: [...(host.interfaces ?? []), { device: 'veth1', counters: { receive_bytes: 1 } }] });
    const rx = labelsOf(more, 'node_network_receive_bytes_total');
    expect(rx.map((l) => l.device)).toEqual(['eth0', 'ifb0', 'lo', 'veth1']);
    expect(rx[0]).toBe(labelsOf(families, 'node_network_receive_bytes_total')[0]);
  });

  it('renders /proc/net/dev counters as node_network_<dir>_<col>_total{device}', () => {
    const f = fam('node_network_receive_bytes_total');
    expect(f).toMatchObject({ type: 'counter', help: 'Network device statistic receive_bytes.' });
    expect(values('node_network_receive_bytes_total')).toEqual({ eth0: 205859611, ifb0: 0, lo: 33417 });
    expect(values('node_network_receive_nohandler_total')).toEqual({ eth0: 0 });
    expect(byName.has('node_network_receive_colls_total')).toBe(false);
  });

  it('maps bytes, packets, drops and errors onto the OpenTelemetry system.network.* metrics', () => {
    const dev = { device: 'network.interface.name' };
    expect(fam('node_network_receive_bytes_total').otel).toEqual({ name: 'system.network.io', unit: 'By', attributes: { 'network.io.direction': 'receive' }, labelMap: dev });
    expect(fam('node_network_transmit_bytes_total').otel?.attributes).toEqual({ 'network.io.direction': 'transmit' });
    expect(fam('node_network_transmit_packets_total').otel).toMatchObject({ name: 'system.network.packet.count', unit: '{packet}' });
    expect(fam('node_network_receive_drop_total').otel).toMatchObject({ name: 'system.network.packet.dropped', unit: '{packet}' });
    expect(fam('node_network_transmit_errs_total').otel).toMatchObject({ name: 'system.network.errors', unit: '{error}' });
    // issue 14: every family is pushed; those without a system.network.* metric under the derived
    // name (they were left out of OTLP before: these two assertions said toBeUndefined)
    expect(fam('node_network_receive_fifo_total').otel).toEqual({ name: 'node.network.receive_fifo', unit: '1', labelMap: dev });
    expect(fam('node_network_up').otel).toEqual({ name: 'node.network.up', unit: '1', labelMap: dev });
  });

  it('maps every host family onto OTLP: a semantic-convention metric where one exists, else the derived node.* name, typed by what the value is', () => {
    expect(families.filter((f) => !f.otel).map((f) => f.name)).toEqual([]);
    // only receive/transmit pairs share an OTel name, told apart by network.io.direction
    const byOtel = new Map<string, MetricFamily[]>();
    for (const f of families) byOtel.set(f.otel?.name ?? '', [...(byOtel.get(f.otel?.name ?? '') ?? []), f]);
    const shared = [...byOtel].filter(([, fs]) => fs.length > 1);
    expect(shared.map(([n]) => n).sort()).toEqual(['system.network.errors', 'system.network.io', 'system.network.packet.count', 'system.network.packet.dropped']);
    for (const [, fs] of shared) expect(fs.map((f) => f.otel?.attributes?.['network.io.direction']).sort()).toEqual(['receive', 'transmit']);
    expect(fam('node_nf_conntrack_entries').otel).toEqual({ name: 'system.network.conntrack.count', unit: '{entries}', monotonic: false });
    expect(fam('node_nf_conntrack_entries_limit').otel).toEqual({ name: 'system.network.conntrack.max', unit: '{entries}', monotonic: false });
    expect(fam('node_nf_conntrack_stat_insert_failed').otel).toEqual({ name: 'node.nf_conntrack.stat.insert_failed', unit: '1', monotonic: true });
    // netstat: counters are monotonic sums, the RFC 1213 gauges (MaxConn) gauges
    expect(fam('node_netstat_Tcp_RetransSegs').otel).toEqual({ name: 'node.netstat.tcp.retrans_segs', unit: '1', monotonic: true });
    expect(fam('node_netstat_Tcp_MaxConn').otel).toEqual({ name: 'node.netstat.tcp.max_conn', unit: '1' });
    expect(fam('node_netstat_Ip6_InOctets').otel).toEqual({ name: 'node.netstat.ip6.in_octets', unit: 'By', monotonic: true });
    expect(fam('node_sockstat_TCP_mem').otel).toEqual({ name: 'node.sockstat.tcp.mem', unit: '{page}' });
    expect(fam('node_sockstat_TCP_mem_bytes').otel).toEqual({ name: 'node.sockstat.tcp.mem_bytes', unit: 'By' });
    expect(fam('node_sockstat_sockets_used').otel).toEqual({ name: 'node.sockstat.sockets.used', unit: '{socket}' });
    expect(fam('node_softnet_times_squeezed_total').otel).toEqual({ name: 'node.softnet.times_squeezed', unit: '1', labelMap: { cpu: 'cpu.logical_number' } });
    expect(fam('node_softnet_backlog_len').otel).toMatchObject({ name: 'node.softnet.backlog_len', unit: '{packet}' });
    expect(fam('node_network_speed_bytes').otel).toMatchObject({ name: 'node.network.speed_bytes', unit: 'By/s' });
    expect(fam('node_network_mtu_bytes').otel).toMatchObject({ name: 'node.network.mtu_bytes', unit: 'By' });
    expect(fam('node_network_carrier_changes_total').otel).toMatchObject({ name: 'node.network.carrier_changes', unit: '1' });
    expect(fam('node_network_info').otel).toMatchObject({ name: 'node.network.info', labelMap: { device: 'network.interface.name' } });
  });

  it('renders node_network_info with node_exporter labels, adminstate from IFF_UP', () => {
    const f = fam('node_network_info');
    expect(f.type).toBe('gauge');
    const eth0 = f.samples?.find((s) => s.labels.device === 'eth0');
    expect(eth0).toEqual({
      labels: { address: '02:fc:00:00:00:01', adminstate: 'up', broadcast: 'ff:ff:ff:ff:ff:ff', device: 'eth0', duplex: 'unknown', ifalias: '', operstate: 'up' },
      value: 1,
    });
    expect(f.samples?.find((s) => s.labels.device === 'ifb0')?.labels).toMatchObject({ adminstate: 'down', duplex: '' });
    // An interface with no sysfs directory has counters only.
    expect(f.samples?.map((s) => s.labels.device)).toEqual(['eth0', 'ifb0', 'lo']);
  });

  it('renders sysfs properties only where the kernel gave them', () => {
    expect(values('node_network_up')).toEqual({ eth0: 1, ifb0: 0, lo: 0 });
    expect(values('node_network_carrier')).toEqual({ eth0: 1 });
    expect(values('node_network_speed_bytes')).toEqual({ eth0: -125000 });
    expect(values('node_network_flags')).toEqual({ eth0: 4099, ifb0: 130, lo: 9 });
    expect(values('node_network_protocol_type')).toEqual({ eth0: 1, ifb0: 1, lo: 772 });
    expect(values('node_network_iface_id')).toEqual({ eth0: 4, ifb0: 2 });
    expect(fam('node_network_carrier_changes_total').type).toBe('counter');
    expect(fam('node_network_mtu_bytes')).toMatchObject({ type: 'gauge', help: 'Network device property: mtu_bytes' });
    expect(values('node_network_name_assign_type')).toEqual({ eth0: 1 });
  });

  it('renders netstat counters untyped, sockstat as gauges with node_exporter HELP', () => {
    expect(fam('node_netstat_Tcp_RetransSegs')).toMatchObject({ type: 'untyped', help: 'Statistic TcpRetransSegs.' });
    expect(values('node_netstat_Tcp_MaxConn')).toEqual({ '-': -1 });
    expect(values('node_netstat_Ip6_InOctets')).toEqual({ '-': 9 });
    expect(fam('node_sockstat_sockets_used')).toMatchObject({ type: 'gauge', help: 'Number of IPv4 sockets in use.' });
    expect(fam('node_sockstat_TCP_mem_bytes').help).toBe('Number of TCP sockets in state mem_bytes.');
    expect(values('node_sockstat_TCP_mem_bytes')).toEqual({ '-': 1523712 });
    expect(values('node_sockstat_FRAG6_memory')).toEqual({ '-': 0 });
  });

  it('renders conntrack entries, limit and only the eight statistics node_exporter knows', () => {
    expect(values('node_nf_conntrack_entries')).toEqual({ '-': 3 });
    expect(values('node_nf_conntrack_entries_limit')).toEqual({ '-': 262144 });
    const stats = families.filter((f) => f.name.startsWith('node_nf_conntrack_stat_')).map((f) => f.name);
    expect(stats).toHaveLength(8);
    expect(byName.has('node_nf_conntrack_stat_new')).toBe(false);
    expect(values('node_nf_conntrack_stat_search_restart')).toEqual({ '-': 8 });
    expect(fam('node_nf_conntrack_stat_drop').type).toBe('gauge');
  });

  it('renders softnet per CPU, skipping columns an older kernel does not print', () => {
    expect(values('node_softnet_processed_total')).toEqual({ '0': 8, '1': 6147 });
    expect(fam('node_softnet_processed_total').samples?.[0]?.labels).toEqual({ cpu: '0' });
    expect(values('node_softnet_received_rps_total')).toEqual({ '1': 0 });
    expect(fam('node_softnet_backlog_len').type).toBe('gauge');
    expect(fam('node_softnet_times_squeezed_total').type).toBe('counter');
  });

  it('renders FreeBSD tcpStates as node_exporter\'s node_netstat_tcp_connections{state}, every state in kernel order', () => {
    const fams = renderHostFamilies({ tcpStates: { CLOSE: 1, LISTEN: 2, SYN_SENT: 3, SYN_RECV: 4, ESTABLISHED: 5, CLOSE_WAIT: 6, FIN_WAIT1: 7, CLOSING: 8, LAST_ACK: 9, FIN_WAIT2: 10, TIME_WAIT: 11 } });
    expect(fams).toHaveLength(1);
    const conns = fams[0]!;
    expect(conns).toMatchObject({ name: 'node_netstat_tcp_connections', help: 'Number of TCP connections per state', type: 'gauge' });
    // Not system.network.connection.count (it was): sockscope_sockets is that metric, counted from
    // the same pcblist, and both under one name would count every TCP connection twice. Its state
    // values become the convention's (SYN_RCVD → syn_received).
    expect(conns.otel).toEqual({
      name: 'node.netstat.tcp.connections',
      unit: '{connection}',
      attributes: { 'network.transport': 'tcp' },
      labelMap: { state: 'network.connection.state' },
      values: { state: CONNECTION_STATE_VALUES },
      monotonic: false,
    });
    expect(conns.samples?.map((s) => CONNECTION_STATE_VALUES[s.labels.state as string])).toEqual([
      'closed', 'listen', 'syn_sent', 'syn_received', 'established', 'close_wait', 'fin_wait_1', 'closing', 'last_ack', 'fin_wait_2', 'time_wait',
    ]);
    expect(conns.samples?.map((s) => [s.labels.state, s.value])).toEqual([
      ['CLOSED', 1], ['LISTEN', 2], ['SYN_SENT', 3], ['SYN_RCVD', 4], ['ESTABLISHED', 5], ['CLOSE_WAIT', 6],
      ['FIN_WAIT_1', 7], ['CLOSING', 8], ['LAST_ACK', 9], ['FIN_WAIT_2', 10], ['TIME_WAIT', 11],
    ]);
    expect(conns.samples?.every((s) => Object.keys(s.labels).join() === 'state')).toBe(true);
  });

  it('counts a state tcpStates leaves out as 0 and keeps a key it does not know as its own sample', () => {
    const [conns] = renderHostFamilies({ tcpStates: { ESTABLISHED: 3, NEW_SYN_RECV: 2 } });
    expect(conns?.samples).toHaveLength(12);
    expect(conns?.samples?.find((s) => s.labels.state === 'LISTEN')?.value).toBe(0);
    expect(conns?.samples?.find((s) => s.labels.state === 'ESTABLISHED')?.value).toBe(3);
    expect(conns?.samples?.[11]).toEqual({ labels: { state: 'NEW_SYN_RECV' }, value: 2 });
    expect(renderHostFamilies({ tcpStates: {} })[0]?.samples?.map((s) => s.value)).toEqual(Array(11).fill(0));
  });

  it('renders transportPackets as node_exporter\'s FreeBSD packet counters, only for the protocols read', () => {
    const fams = renderHostFamilies({ transportPackets: { tcp: { transmit: 1234, receive: 4321 }, udp: { transmit: 12, receive: 21 } } });
    expect(fams.map((f) => [f.name, f.type, f.help, f.samples])).toEqual([
      ['node_netstat_tcp_receive_packets_total', 'counter', 'TCP packets received', [{ labels: {}, value: 4321 }]],
      ['node_netstat_tcp_transmit_packets_total', 'counter', 'TCP packets sent', [{ labels: {}, value: 1234 }]],
      ['node_netstat_udp_receive_packets_total', 'counter', 'UDP packets received', [{ labels: {}, value: 21 }]],
      ['node_netstat_udp_transmit_packets_total', 'counter', 'UDP packets sent', [{ labels: {}, value: 12 }]],
    ]);
    // issue 14: pushed over OTLP too (this said f.otel === undefined), as monotonic sums of packets
    expect(fams.map((f) => [f.otel?.name, f.otel?.unit])).toEqual([
      ['node.netstat.tcp.receive_packets', '{packet}'],
      ['node.netstat.tcp.transmit_packets', '{packet}'],
      ['node.netstat.udp.receive_packets', '{packet}'],
      ['node.netstat.udp.transmit_packets', '{packet}'],
    ]);
    expect(renderHostFamilies({ transportPackets: { udp: { transmit: 1, receive: 2 } } }).map((f) => f.name)).toEqual([
      'node_netstat_udp_receive_packets_total',
      'node_netstat_udp_transmit_packets_total',
    ]);
    expect(renderHostFamilies({ transportPackets: {} })).toEqual([]);
  });

  it('sorts the FreeBSD families by name among the others, each once', () => {
    const fams = renderHostFamilies({
      transportPackets: { tcp: { transmit: 1, receive: 2 }, udp: { transmit: 3, receive: 4 } },
      tcpStates: { LISTEN: 1 },
      protocols: { Tcp: { InSegs: 2 }, Udp: { OutDatagrams: 3 } },
      interfaces: [{ device: 'vtnet0', counters: { receive_bytes: 10 } }],
    });
    const names = fams.map((f) => f.name);
    expect(names).toEqual([
      'node_netstat_Tcp_InSegs',
      'node_netstat_Udp_OutDatagrams',
      'node_netstat_tcp_connections',
      'node_netstat_tcp_receive_packets_total',
      'node_netstat_tcp_transmit_packets_total',
      'node_netstat_udp_receive_packets_total',
      'node_netstat_udp_transmit_packets_total',
      'node_network_receive_bytes_total',
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('renders nothing for an empty host and keeps odd kernel names valid', () => {
    expect(renderHostFamilies({})).toEqual([]);
    const odd = renderHostFamilies({ protocols: { 'Odd-Proto': { 'a.b': 1 } } });
    expect(odd.map((f) => f.name)).toEqual(['node_netstat_Odd_Proto_a_b']);
  });
});
