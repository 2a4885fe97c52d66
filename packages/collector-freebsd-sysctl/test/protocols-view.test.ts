import { createPluginContext, createProtocolsView, listSockets } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { createSysctlCollector } from '../src/collector.js';
import { freebsdSysctlCollector } from '../src/plugin.js';
import { fakeReader, osreldate } from './fake-reader.js';
import { OSRELDATE, tcpStates, tcpstat, udpstat, type Release } from './fixture-writer.js';

// The live connections API's view=protocols (netdata's FreeBSD network protocols function) from
// what this collector reads: two collections over byte buffers laid out as the kernel's tcpstat,
// udpstat and tcp.states, the table of core's createProtocolsView computed from their host stats.
describe.each([13, 14] as Release[])('view=protocols from net.inet.{tcp,udp}.stats and net.inet.tcp.states (FreeBSD %i)', (release) => {
  it('the first answer says 0 per second; the next one the deltas over the time between collections; established from tcp.states', async () => {
    const reader = fakeReader({
      'kern.osreldate': osreldate(OSRELDATE[release]),
      // CLOSED LISTEN SYN_SENT SYN_RCVD ESTABLISHED CLOSE_WAIT …
      'net.inet.tcp.states': [tcpStates([0, 3, 0, 0, 40, 2, 0, 0, 0, 0, 7]), tcpStates([0, 3, 0, 0, 45, 1, 0, 0, 0, 0, 9])],
      'net.inet.tcp.stats': [
        tcpstat(release, { connattempt: 100, accepts: 50, conndrops: 4, drops: 2, rcvtotal: 10_000, sndtotal: 9_000, sndrexmitpack: 100, listendrop: 1 }),
        tcpstat(release, { connattempt: 120, accepts: 60, conndrops: 6, drops: 2, rcvtotal: 12_000, sndtotal: 10_100, sndrexmitpack: 140, listendrop: 5 }),
      ],
      'net.inet.udp.stats': [udpstat({ ipackets: 500, opackets: 400, noport: 10 }), udpstat({ ipackets: 700, opackets: 404, noport: 12 })],
    });
    const config = createPluginContext(freebsdSysctlCollector, { tcp: false, udp: false, interfaces: false }, { platform: 'freebsd' }).config;
    const collector = createSysctlCollector(config, reader, 'amd64');
    const view = createProtocolsView();
    const first = view.answer((await listSockets(collector)).host ?? {}, 1_000_000, 'bsd');
    expect(first.interval_seconds).toBe(0);
    expect(first.rows.every((r) => r.per_second === 0)).toBe(true);
    expect(first.tcp_established).toBe(42); // ESTABLISHED + CLOSE_WAIT
    expect(first.rows.find((r) => r.counter === 'active_opens')).toEqual({ protocol: 'tcp', counter: 'active_opens', source: 'Tcp.ActiveOpens', per_second: 0, total: 100 });

    const second = view.answer((await listSockets(collector)).host ?? {}, 1_002_000, 'bsd');
    expect(second).toMatchObject({ version: 1, view: 'protocols', hostname: 'bsd', interval_seconds: 2, tcp_established: 46 });
    const rate = Object.fromEntries(second.rows.map((r) => [`${r.protocol}.${r.counter}`, r.per_second]));
    expect(rate).toEqual({
      'tcp.active_opens': 10,
      'tcp.passive_opens': 5,
      'tcp.attempt_fails': 1,
      'tcp.estab_resets': 0,
      'tcp.in_segs': 1000,
      // tcps_sndtotal less tcps_sndrexmitpack: (10100-140 - (9000-100)) / 2
      'tcp.out_segs': 530,
      'tcp.retrans_segs': 20,
      'tcp.in_errs': 0,
      'tcp.listen_overflows': 2,
      // udpstat's delivered: ipackets less the drops (noport)
      'udp.in_datagrams': 99,
      'udp.out_datagrams': 2,
      'udp.no_ports': 1,
      'udp.in_errors': 0,
      'udp.rcvbuf_errors': 0,
    });
    // the same collection asked again (a cached one) keeps its rates
    expect(view.answer((await listSockets(collector)).host ?? {}, 1_002_000, 'bsd')).toBe(second);
  });
});
