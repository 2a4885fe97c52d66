import { createPluginContext, listSockets, renderHostFamilies } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { createSysctlCollector } from '../src/collector.js';
import { tcpProtocols, udpProtocols } from '../src/collect/host-stats.js';
import { freebsdSysctlCollector } from '../src/plugin.js';
import { parseTcpStates } from '../src/parse/tcp-states.js';
import { parseTcpstat } from '../src/parse/tcpstat.js';
import { parseUdpstat } from '../src/parse/udpstat.js';
import { fakeReader, osreldate } from './fake-reader.js';
import { OSRELDATE, TCPSTAT_OFFSETS, tcpStates, tcpstat, udpstat, UDPSTAT_FIELDS, type Release } from './fixture-writer.js';

describe.each([13, 14] as Release[])('net.inet.tcp.stats on FreeBSD %i', (release) => {
  // A distinct value per documented field: a field read at a neighbour's offset shows up.
  const values = Object.fromEntries(Object.keys(TCPSTAT_OFFSETS[release]).map((k, i) => [k, 1000 + i]));

  it(`is recognised by its length (${release === 13 ? 904 : 984} bytes) and reads every documented field`, () => {
    const r = parseTcpstat(tcpstat(release, values), release);
    if ('error' in r) throw new Error(r.error);
    expect(r.major).toBe(release);
    expect(r.counters).toEqual(values);
    expect(r.warnings).toEqual([]);
  });

  it('maps onto the Linux snmp names', () => {
    const r = parseTcpstat(tcpstat(release, { connattempt: 5, accepts: 6, conndrops: 1, drops: 2, rcvtotal: 900, sndtotal: 800, sndrexmitpack: 30, rcvbadsum: 1, rcvbadoff: 2, rcvshort: 3, listendrop: 4, rexmttimeo: 7 }));
    if ('error' in r) throw new Error(r.error);
    const p = tcpProtocols(r.counters, [0, 2, 0, 0, 10, 3, 0, 0, 0, 0, 5]);
    expect(p.Tcp).toEqual({ ActiveOpens: 5, PassiveOpens: 6, AttemptFails: 1, EstabResets: 2, InSegs: 900, OutSegs: 770, RetransSegs: 30, InErrs: 6, InCsumErrors: 1, CurrEstab: 13 });
    expect(p.TcpExt).toMatchObject({ ListenOverflows: 4, TCPTimeouts: 7 });
    expect('TCPDSACKRecv' in (p.TcpExt ?? {})).toBe(release === 14);
  });
});

describe('tcpstat layout selection', () => {
  it('names the length when no layout has it (e.g. FreeBSD 15, 1000 bytes)', () => {
    expect(parseTcpstat(Buffer.alloc(1000))).toEqual({ error: expect.stringMatching(/returned 1000 bytes.*known: 904 \(FreeBSD 13\), 984 \(FreeBSD 14\)/) });
  });

  it('decodes by length and warns when kern.osreldate disagrees', () => {
    const r = parseTcpstat(tcpstat(13, { sndtotal: 1 }), 14);
    if ('error' in r) throw new Error(r.error);
    expect(r.counters.sndtotal).toBe(1);
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_LAYOUT', message: expect.stringMatching(/904 bytes \(the FreeBSD 13 layout\) but kern.osreldate says FreeBSD 14/) }]);
  });
});

describe('net.inet.udp.stats and net.inet.tcp.states', () => {
  it('reads all 14 udpstat fields and maps them', () => {
    const values = Object.fromEntries(UDPSTAT_FIELDS.map((k, i) => [k, 10 * (i + 1)]));
    const r = parseUdpstat(udpstat(values));
    if ('error' in r) throw new Error(r.error);
    expect(r.counters).toEqual(values);
    const parsed = parseUdpstat(udpstat({ ipackets: 100, hdrops: 1, badsum: 2, badlen: 3, noport: 4, noportbcast: 5, fullsock: 6, opackets: 77 }));
    if ('error' in parsed) throw new Error(parsed.error);
    const u = udpProtocols(parsed.counters);
    expect(u).toEqual({ Udp: { InDatagrams: 79, NoPorts: 4, InErrors: 12, OutDatagrams: 77, RcvbufErrors: 6, InCsumErrors: 2 } });
    expect(parseUdpstat(Buffer.alloc(64))).toEqual({ error: expect.stringMatching(/returned 64 bytes/) });
  });

  it('reads 11 state counts and refuses other lengths', () => {
    expect(parseTcpStates(tcpStates([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toEqual({ counts: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
    expect(parseTcpStates(Buffer.alloc(80))).toEqual({ error: expect.stringMatching(/returned 80 bytes, expected 88/) });
  });

  it.each([13, 14] as Release[])('the host stats render as node_exporter FreeBSD netstat families through core (FreeBSD %i)', async (release) => {
    const reader = fakeReader({
      'kern.osreldate': osreldate(OSRELDATE[release]),
      'net.inet.tcp.states': tcpStates([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      'net.inet.tcp.stats': tcpstat(release, { sndtotal: 1234, rcvtotal: 4321 }),
      'net.inet.udp.stats': udpstat({ opackets: 12, ipackets: 21 }),
    });
    const config = createPluginContext(freebsdSysctlCollector, { tcp: false, udp: false, interfaces: false }, { platform: 'freebsd' }).config;
    const r = await listSockets(createSysctlCollector(config, reader, 'amd64'));
    expect(r.warnings).toEqual([]);
    expect(r.families).toBeUndefined();
    const fams = renderHostFamilies(r.host ?? {}).filter((f) => /^node_netstat_(tcp|udp)_/.test(f.name));
    // Sorted by name, as every family core renders.
    expect(fams.map((f) => f.name)).toEqual([
      'node_netstat_tcp_connections',
      'node_netstat_tcp_receive_packets_total',
      'node_netstat_tcp_transmit_packets_total',
      'node_netstat_udp_receive_packets_total',
      'node_netstat_udp_transmit_packets_total',
    ]);
    const fam = (name: string) => fams.find((f) => f.name === name);
    const conns = fam('node_netstat_tcp_connections')!;
    expect(conns.type).toBe('gauge');
    expect(conns.help).toBe('Number of TCP connections per state');
    // Over OTLP under a name of its own: as system.network.connection.count it would count every
    // TCP connection a second time beside sockscope_sockets; states take the convention's values.
    expect(conns.otel).toMatchObject({ name: 'node.netstat.tcp.connections', unit: '{connection}', attributes: { 'network.transport': 'tcp' }, labelMap: { state: 'network.connection.state' }, monotonic: false });
    expect(conns.otel?.values?.state).toMatchObject({ CLOSED: 'closed', SYN_RCVD: 'syn_received', FIN_WAIT_1: 'fin_wait_1', TIME_WAIT: 'time_wait' });
    expect(conns.samples?.map((s) => [s.labels.state, s.value])).toEqual([
      ['CLOSED', 1], ['LISTEN', 2], ['SYN_SENT', 3], ['SYN_RCVD', 4], ['ESTABLISHED', 5], ['CLOSE_WAIT', 6],
      ['FIN_WAIT_1', 7], ['CLOSING', 8], ['LAST_ACK', 9], ['FIN_WAIT_2', 10], ['TIME_WAIT', 11],
    ]);
    expect(fam('node_netstat_tcp_transmit_packets_total')).toMatchObject({ type: 'counter', help: 'TCP packets sent', samples: [{ labels: {}, value: 1234 }] });
    expect(fam('node_netstat_tcp_receive_packets_total')).toMatchObject({ type: 'counter', help: 'TCP packets received', samples: [{ labels: {}, value: 4321 }] });
    expect(fam('node_netstat_udp_transmit_packets_total')).toMatchObject({ type: 'counter', help: 'UDP packets sent', samples: [{ labels: {}, value: 12 }] });
    expect(fam('node_netstat_udp_receive_packets_total')).toMatchObject({ type: 'counter', help: 'UDP packets received', samples: [{ labels: {}, value: 21 }] });
  });
});
