// Orchestration tests: the real collector over a fake SysctlReader (test/fake-reader.ts) that
// serves buffers from the fixture writer. The ffi layer is the only part replaced, and only
// because FreeBSD cannot run on this Linux machine.
import { createPluginContext, listSockets, renderHostFamilies, type SocketRecord } from '@sockscope/core';
import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { createSysctlCollector } from '../src/collector.js';
import type { FreebsdSysctlConfig } from '../src/config.js';
import { freebsdSysctlCollector } from '../src/plugin.js';
import { fakeReader, osreldate, type Served } from './fake-reader.js';
import {
  compactTimewait13, ifinfoMessage, kinfoProc, newaddrMessage, OSRELDATE, pcblist, PLATFORMS, syncacheRecord,
  tcpStates, tcpstat, udpstat, xfile, xinpcb, xtcpcb, type Release,
} from './fixture-writer.js';

const SO_SSH = 0xfffff80011110000n;
const SO_NGINX = 0xfffff80022220000n;
const SO_DNS = 0xfffff80033330000n;
const signal = () => new AbortController().signal;

/** The config create() would get: `overrides` validated, with the schema's defaults applied. */
function config(overrides: Record<string, unknown> = {}): FreebsdSysctlConfig {
  return createPluginContext(freebsdSysctlCollector, overrides, { platform: 'freebsd' }).config;
}
const CONFIG_DEFAULTS = config();

function world(release: Release, overrides: Record<string, Served> = {}, byMib: Record<string, Served> = {}) {
  const tcp = pcblist(50n, [
    syncacheRecord({ vflag: 1, laddr: '10.0.0.1', faddr: '10.9.9.9', lport: 443, fport: 60000 }, release),
    xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.7', lport: 22, fport: 51000, so: SO_SSH, uid: 0, state: 4, maxseg: 1448, cwnd: 28960, ssthresh: 14480, sndrexmitpack: 4, cc: 'cubic', gencnt: 10n }, release),
    xtcpcb({ vflag: 3, soFamily: 28, laddr: '::', faddr: '::', lport: 443, fport: 0, so: SO_NGINX, uid: 80, state: 1, soOptions: 2, qlen: 2, qlimit: 511, gencnt: 11n }, release),
    release === 13
      ? compactTimewait13({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.8', lport: 443, fport: 52000, gencnt: 12n })
      : xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.8', lport: 443, fport: 52000, state: 10, xsoLen: 0, protocol: 0, maxseg: 1448, cwnd: 1448, gencnt: 12n }, release),
    xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.5', lport: 22, fport: 1, so: 0x99n, state: 4, gencnt: 51n }, release), // newer than header: skipped
  ]);
  const udp = pcblist(20n, [xinpcb({ vflag: 2, laddr: '::1', faddr: '::', lport: 53, fport: 0, so: SO_DNS, uid: 53, rcvCc: 100, gencnt: 3n })]);
  const files = Buffer.concat([
    xfile({ pid: 900, fd: 3, data: SO_SSH }),
    xfile({ pid: 700, fd: 3, data: SO_SSH }), // the same socket in a forked child: lowest pid wins
    xfile({ pid: 800, fd: 5, data: SO_NGINX }),
    xfile({ pid: 800, fd: 6, type: 1, data: 0x1234n }),
    xfile({ pid: 555, fd: 7, data: SO_DNS }),
  ]);
  const reader = fakeReader(
    {
      'kern.osreldate': osreldate(OSRELDATE[release]),
      'net.inet.tcp.pcblist': tcp,
      'net.inet.udp.pcblist': udp,
      'kern.file': files,
      'net.inet.tcp.states': tcpStates([0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1]),
      'net.inet.tcp.stats': tcpstat(release, { sndtotal: 1000, rcvtotal: 2000, sndrexmitpack: 10, connattempt: 3, accepts: 4, listendrop: 1 }),
      'net.inet.udp.stats': udpstat({ ipackets: 50, opackets: 60, noport: 2 }),
      ...overrides,
    },
    {
      '1.14.1.700': kinfoProc({ pid: 700, ppid: 1, comm: 'sshd', ruid: 0 }),
      '1.14.1.800': kinfoProc({ pid: 800, ppid: 1, comm: 'nginx', ruid: 80 }),
      '1.14.1.555': { errno: 3 }, // exited between kern.file and kern.proc.pid
      '4.17.0.0.5.0': Buffer.concat([ifinfoMessage({ index: 1, flags: 1, name: 'vtnet0', data: { ibytes: 10, obytes: 20 } }), newaddrMessage()]),
      ...byMib,
    },
  );
  return reader;
}

describe.each(PLATFORMS)('collector on FreeBSD $release/$arch (fake sysctl reader)', ({ release, arch }) => {
  it('streams sockets with processes, listeners first, and returns host counters and interfaces', async () => {
    const reader = world(release);
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, reader, arch), signal());
    expect(r.warnings).toEqual([]);
    expect(r.inconsistent).toBeUndefined();
    const sockets = r.sockets;
    expect(sockets.map((s) => `${s.protocol} ${s.state} ${s.local.address}:${s.local.port} ${s.process?.comm ?? '-'}`)).toEqual([
      'tcp LISTEN :::443 nginx',
      'udp CLOSE ::1:53 -',
      'tcp SYN_RECV 10.0.0.1:443 -',
      'tcp ESTABLISHED 10.0.0.1:22 sshd',
      'tcp TIME_WAIT 10.0.0.1:443 -',
    ]);
    expect(sockets.flatMap(socketRecordProblems)).toEqual([]);
    expect(sockets[3]).toMatchObject({ process: { pid: 700, ppid: 1, comm: 'sshd', uid: 0 }, tcp: { sndCwnd: 20, sndSsthresh: 10, totalRetrans: 4 }, congestion: 'cubic' });
    expect(sockets[0]).toMatchObject({ family: 'ipv6', v6only: false, recvQueue: 2, sendQueue: 511, process: { pid: 800, comm: 'nginx' } });
    expect(sockets[4]?.tcp === undefined).toBe(release === 13);
    expect(reader.calls.filter((c) => c.startsWith('mib:1.14') || c.startsWith('nametomib'))).toEqual(['nametomib:kern.proc.pid', 'mib:1.14.1.555', 'mib:1.14.1.700', 'mib:1.14.1.800']);

    expect(r.host?.tcpStates).toEqual({ CLOSE: 0, LISTEN: 1, SYN_SENT: 0, SYN_RECV: 1, ESTABLISHED: 1, CLOSE_WAIT: 0, FIN_WAIT1: 0, CLOSING: 0, LAST_ACK: 0, FIN_WAIT2: 0, TIME_WAIT: 1 });
    expect(r.host?.protocols?.Tcp).toMatchObject({ RetransSegs: 10, InSegs: 2000, OutSegs: 990, ActiveOpens: 3, PassiveOpens: 4, CurrEstab: 1 });
    expect(r.host?.protocols?.TcpExt).toMatchObject({ ListenOverflows: 1 });
    expect(r.host?.protocols?.Udp).toMatchObject({ OutDatagrams: 60, NoPorts: 2 });
    expect(r.host?.interfaces).toEqual([expect.objectContaining({ device: 'vtnet0', counters: expect.objectContaining({ receive_bytes: 10, transmit_bytes: 20 }) })]);
    expect(r.host?.transportPackets).toEqual({ tcp: { transmit: 1000, receive: 2000 }, udp: { transmit: 60, receive: 50 } });
    // The collector returns host stats only; core renders node_exporter's FreeBSD netstat families from them.
    expect(r.families).toBeUndefined();
    const families = renderHostFamilies(r.host ?? {});
    expect(families.map((f) => f.name)).toContain('node_netstat_tcp_connections');
    expect(families.find((f) => f.name === 'node_netstat_tcp_transmit_packets_total')?.samples?.[0]?.value).toBe(1000);
  });

  it('hands each socket to visit once while streaming, every listener before any other socket, and returns none', async () => {
    const seen: SocketRecord[] = [];
    const r = await createSysctlCollector(CONFIG_DEFAULTS, world(release), arch).stream(signal(), (s) => void seen.push(s));
    expect('sockets' in r).toBe(false);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const keys = seen.map((s) => `${s.protocol} ${s.local.address}:${s.local.port} ${s.remote.address}:${s.remote.port}`);
    expect(new Set(keys).size).toBe(5);
    const listening = (s: SocketRecord) => s.state === 'LISTEN' || (s.protocol === 'udp' && s.state === 'CLOSE');
    expect(seen.map(listening)).toEqual([true, true, false, false, false]);
  });
});

describe('collector: pcblist generation retries', () => {
  it('re-reads while header and trailer generations differ, then uses the consistent list', async () => {
    const rec = xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 1, state: 4, gencnt: 1n }, 14);
    const reader = world(14, { 'net.inet.tcp.pcblist': [pcblist(5n, [rec], 6n), pcblist(6n, [rec], 7n), pcblist(7n, [rec, rec])] });
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, reader, 'amd64'), signal());
    expect(reader.calls.filter((c) => c === 'net.inet.tcp.pcblist')).toHaveLength(3);
    expect(r.inconsistent).toBeUndefined();
    expect(r.sockets.filter((s) => s.protocol === 'tcp')).toHaveLength(2);
  });

  it('after pcblist_retries extra reads uses the last list, marks the result inconsistent and says why', async () => {
    const rec = xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 1, state: 4, gencnt: 1n }, 14);
    const reader = world(14, { 'net.inet.tcp.pcblist': [pcblist(5n, [rec], 6n)] });
    const r = await listSockets(createSysctlCollector(config({ pcblist_retries: 2 }), reader, 'amd64'), signal());
    expect(reader.calls.filter((c) => c === 'net.inet.tcp.pcblist')).toHaveLength(3);
    expect(r.inconsistent).toBe(true);
    expect(r.warnings).toContainEqual({ code: 'ERR_FREEBSD_SYSCTL_INCONSISTENT', message: expect.stringMatching(/generation changed during each of 3 reads/) });
    expect(r.sockets.filter((s) => s.protocol === 'tcp')).toHaveLength(1);
  });

  it('a truncated list keeps its complete records and marks the result inconsistent', async () => {
    const full = pcblist(5n, [xtcpcb({ vflag: 1, laddr: '1.1.1.1', faddr: '2.2.2.2', lport: 1, fport: 2, state: 4 }, 14), xtcpcb({ vflag: 1, laddr: '1.1.1.1', faddr: '2.2.2.2', lport: 3, fport: 4, state: 4 }, 14)]);
    const reader = world(14, { 'net.inet.tcp.pcblist': full.subarray(0, 64 + 744 + 10) });
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, reader, 'amd64'), signal());
    expect(r.inconsistent).toBe(true);
    expect(r.sockets.filter((s) => s.protocol === 'tcp').map((s) => s.local.port)).toEqual([1]);
  });
});

describe('collector: failures stay partial', () => {
  it('an unknown tcpstat length is a warning naming the length; the rest is still returned', async () => {
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, world(14, { 'net.inet.tcp.stats': Buffer.alloc(1000) }), 'amd64'), signal());
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/net.inet.tcp.stats returned 1000 bytes/) }]);
    expect(r.host?.protocols?.Tcp).toBeUndefined();
    expect(r.host?.protocols?.Udp).toBeDefined();
    expect(r.host?.transportPackets).toEqual({ udp: { transmit: 60, receive: 50 } });
    expect(r.sockets).toHaveLength(5);
  });

  it('a sysctl still answering ENOMEM at the buffer bound is an ERR_FREEBSD_SYSCTL_TOO_LARGE warning; the other list is still streamed', async () => {
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, world(14, { 'net.inet.udp.pcblist': { errno: 12 } }), 'amd64'), signal());
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_TOO_LARGE', message: expect.stringMatching(/^sysctl net.inet.udp.pcblist: still ENOMEM/) }]);
    expect(r.sockets.map((s) => s.protocol)).toEqual(['tcp', 'tcp', 'tcp', 'tcp']);
  });

  it('a record with neither family bit is skipped with one ERR_FREEBSD_SYSCTL_DECODE warning, counted once over both passes', async () => {
    const bad = xtcpcb({ vflag: 0, laddr: '0.0.0.0', faddr: '0.0.0.0', lport: 0, fport: 0, state: 4, gencnt: 1n }, 14);
    const good = xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 1, state: 4, gencnt: 1n }, 14);
    const r = await listSockets(createSysctlCollector(config({ udp: false }), world(14, { 'net.inet.tcp.pcblist': pcblist(5n, [bad, good, bad]) }), 'amd64'), signal());
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_DECODE', message: '2 pcblist record(s) skipped (invalid inp_vflag or too short)' }]);
    expect(r.sockets.map((s) => s.local.port)).toEqual([22]);
  });

  it('without kern.file the sockets come back unattributed, with one warning', async () => {
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, world(13, { 'kern.file': { errno: 1 } }), 'arm64'), signal());
    expect(r.sockets).toHaveLength(5);
    expect(r.sockets.every((s) => s.process === undefined)).toBe(true);
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_READ', message: expect.stringMatching(/kern.file: read failed with errno 1; sockets are not attributed/) }]);
  });

  it('falls back to the documented kern.proc.pid MIB when sysctlnametomib fails', async () => {
    const reader = world(14);
    reader.nameToMib = async () => ({ ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: 2, message: 'sysctlnametomib kern.proc.pid failed with errno 2' });
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, reader, 'amd64'), signal());
    expect(r.sockets.find((s) => s.local.port === 22)?.process?.comm).toBe('sshd');
    expect(r.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_READ', message: expect.stringMatching(/using the documented MIB 1.14.1/) }]);
  });

  it('an unreadable kern.osreldate reads TCP with the 14 layout and warns', async () => {
    const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, world(14, { 'kern.osreldate': { errno: 2 } }), 'amd64'), signal());
    expect(r.warnings?.[0]).toEqual({ code: 'ERR_FREEBSD_SYSCTL_READ', message: expect.stringMatching(/kern.osreldate unreadable/) });
    expect(r.sockets).toHaveLength(5);
  });

  it('reads only what the config enables', async () => {
    const reader = world(14);
    const r = await listSockets(createSysctlCollector(config({ udp: false, processes: false, stats: false, interfaces: false }), reader, 'amd64'), signal());
    expect(reader.calls).toEqual(['kern.osreldate', 'net.inet.tcp.pcblist']);
    expect(r.sockets).toHaveLength(4);
    expect(r.host).toEqual({});
  });

  it('rejects when aborted, and close() is safe twice', async () => {
    const c = createSysctlCollector(CONFIG_DEFAULTS, world(14), 'amd64');
    const ac = new AbortController();
    ac.abort(new Error('collection timed out'));
    await expect(c.stream(ac.signal, () => {})).rejects.toThrow('collection timed out');
    await c.close();
    await expect(c.close()).resolves.toBeUndefined();
  });

  it('random bytes from every sysctl never make stream() reject (seeded)', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const junk = () => Buffer.from(Array.from({ length: Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256)));
    for (let i = 0; i < 200; i++) {
      const names = ['kern.osreldate', 'net.inet.tcp.pcblist', 'net.inet.udp.pcblist', 'kern.file', 'net.inet.tcp.states', 'net.inet.tcp.stats', 'net.inet.udp.stats'];
      const reader = world(i % 2 ? 13 : 14, Object.fromEntries(names.filter(() => rand() < 0.5).map((n) => [n, junk()])), { '4.17.0.0.5.0': junk() });
      const r = await listSockets(createSysctlCollector(CONFIG_DEFAULTS, reader, 'amd64'), signal());
      expect(Array.isArray(r.sockets)).toBe(true);
      expect(r.warnings?.every((w) => w.code.startsWith('ERR_FREEBSD_SYSCTL_') && w.message.length > 0)).toBe(true);
    }
  });
});
