import { describe, expect, it } from 'vitest';
import { catalogEntry, metricCatalog } from './catalog.js';
import { ADDRESS_FAMILY_VALUES, CONNECTION_STATE_VALUES, OTEL_INSTRUMENT_NAME, derivedOtelMapping, otelMappingOf, otelNameOf, otelUnitOf } from './otel.js';
import { TCP_STATES } from '../types/socket.js';

// every state Linux names (SocketState), and FreeBSD's as node_exporter labels them
const STATES_FOR_TEST = [...TCP_STATES, 'CLOSED', 'SYN_RCVD', 'FIN_WAIT_1', 'FIN_WAIT_2'];

describe('otelNameOf', () => {
  it('derives node_exporter names into dotted, snake_case OTel names', () => {
    expect(otelNameOf('node_netstat_Tcp_RetransSegs', 'untyped')).toBe('node.netstat.tcp.retrans_segs');
    expect(otelNameOf('node_netstat_TcpExt_TCPSynRetrans', 'untyped')).toBe('node.netstat.tcp_ext.tcp_syn_retrans');
    expect(otelNameOf('node_netstat_TcpExt_TCPOFOQueue', 'untyped')).toBe('node.netstat.tcp_ext.tcpofo_queue');
    expect(otelNameOf('node_netstat_Ip_DefaultTTL', 'untyped')).toBe('node.netstat.ip.default_ttl');
    expect(otelNameOf('node_netstat_UdpLite6_InErrors', 'untyped')).toBe('node.netstat.udp_lite6.in_errors');
    expect(otelNameOf('node_netstat_tcp_transmit_packets_total', 'counter')).toBe('node.netstat.tcp.transmit_packets');
    expect(otelNameOf('node_sockstat_TCP_mem_bytes', 'gauge')).toBe('node.sockstat.tcp.mem_bytes');
    expect(otelNameOf('node_sockstat_FRAG6_inuse', 'gauge')).toBe('node.sockstat.frag6.inuse');
    expect(otelNameOf('node_nf_conntrack_stat_search_restart', 'gauge')).toBe('node.nf_conntrack.stat.search_restart');
    expect(otelNameOf('node_softnet_times_squeezed_total', 'counter')).toBe('node.softnet.times_squeezed');
    expect(otelNameOf('node_network_carrier_up_changes_total', 'counter')).toBe('node.network.carrier_up_changes');
    // any other namespace: its first word, then the rest
    expect(otelNameOf('sockscope_build_info', 'gauge')).toBe('sockscope.build_info');
    expect(otelNameOf('myplugin_queue_depth_total', 'counter')).toBe('myplugin.queue_depth');
    // _total is a counter's suffix only; a gauge keeps it
    expect(otelNameOf('nodejs_active_handles_total', 'gauge')).toBe('nodejs.active_handles_total');
  });

  it('gives valid instrument names for any valid Prometheus name, and two families never one name', () => {
    for (const n of ['a', '_x', ':y', 'node_netstat_Odd_Proto_a_b', 'x:y:z', `n_${'a'.repeat(300)}`]) expect(otelNameOf(n, 'gauge')).toMatch(OTEL_INSTRUMENT_NAME);
    expect(otelNameOf('node_sockstat_TCP_mem', 'gauge')).not.toBe(otelNameOf('node_sockstat_TCP_mem_bytes', 'gauge'));
  });

  it('reads the unit from the name\'s suffix', () => {
    expect(otelUnitOf('process_cpu_seconds_total')).toBe('s');
    expect(otelUnitOf('node_network_mtu_bytes')).toBe('By');
    expect(otelUnitOf('node_netstat_IpExt_InOctets')).toBe('By');
    expect(otelUnitOf('x_bytes_per_second')).toBe('By/s');
    expect(otelUnitOf('node_softnet_processed_total')).toBe('1');
    expect(derivedOtelMapping({ name: 'x_seconds', type: 'gauge' }, { labelMap: { a: 'b' } })).toEqual({ name: 'x.seconds', unit: 's', labelMap: { a: 'b' } });
  });

  it('keeps a family\'s own mapping and derives one only when it has none', () => {
    const own = { name: 'a.b', unit: 'By' };
    expect(otelMappingOf({ name: 'x_total', help: '', type: 'counter', otel: own })).toBe(own);
    expect(otelMappingOf({ name: 'x_total', help: '', type: 'counter' })).toEqual({ name: 'x', unit: '1' });
  });
});

describe('convention values', () => {
  it('maps every kernel TCP state (Linux and FreeBSD spellings) to a network.connection.state value, UNKNOWN to none', () => {
    const convention = new Set(['closed', 'close_wait', 'closing', 'established', 'fin_wait_1', 'fin_wait_2', 'last_ack', 'listen', 'syn_received', 'syn_sent', 'time_wait']);
    for (const s of STATES_FOR_TEST) expect(convention.has(CONNECTION_STATE_VALUES[s] as string) || (s === 'UNKNOWN' && CONNECTION_STATE_VALUES[s] === ''), s).toBe(true);
    expect(CONNECTION_STATE_VALUES.TIME_WAIT).toBe('time_wait');
    expect(CONNECTION_STATE_VALUES.NEW_SYN_RECV).toBe('syn_received');
    expect(ADDRESS_FAMILY_VALUES).toEqual({ ipv4: 'ipv4', ipv6: 'ipv6', unix: '' });
  });

  it('names each catalog family validly over OTLP, and sockscope_series_dropped\'s family by the OTel name of the family it counts', () => {
    for (const e of metricCatalog) expect(e.otel.name).toMatch(OTEL_INSTRUMENT_NAME);
    const dropped = catalogEntry('series_dropped')?.otel;
    expect(dropped?.labelMap).toEqual({ family: 'sockscope.metric' });
    expect(dropped?.values?.family?.sockscope_tcp_rtt_seconds).toBe('sockscope.tcp.rtt');
    expect(dropped?.values?.family?.tcp_rtt).toBe('sockscope.compat.tcp.rtt');
    expect(dropped?.values?.family?.sockscope_flow_sockets).toBe('sockscope.flow.sockets');
  });
});

describe('otelNameOf, asked again', () => {
  it('gives the same name every time, a counter its own (without _total) whatever was asked first', () => {
    const gauge = otelNameOf('memo_probe_things_total', 'gauge');
    const counter = otelNameOf('memo_probe_things_total', 'counter');
    expect(gauge).toBe('memo.probe_things_total');
    expect(counter).toBe('memo.probe_things');
    for (let i = 0; i < 3; i++) {
      expect(otelNameOf('memo_probe_things_total', 'counter')).toBe(counter);
      expect(otelNameOf('memo_probe_things_total', 'untyped')).toBe(gauge);
    }
    // past the memo's bound it starts over and still answers right
    for (let i = 0; i < 5000; i++) otelNameOf(`memo_bound_${i}_total`, 'counter');
    expect(otelNameOf('memo_bound_4999_total', 'counter')).toBe('memo.bound_4999');
    expect(otelNameOf('memo_probe_things_total', 'counter')).toBe(counter);
  });
});
