import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { tcpSocket } from '../src/collect/sockets.js';
import { pickPlatformLayout } from '../src/parse/layouts.js';
import { parseXtcpcb, type XtcpcbRecord } from '../src/parse/xtcpcb.js';
import { compactTimewait13, OSRELDATE, PLATFORMS, syncacheRecord, xtcpcb, type Release } from './fixture-writer.js';

function parse(buf: Buffer, release: Release, arch: 'amd64' | 'arm64'): XtcpcbRecord {
  const { layout, exact } = pickPlatformLayout(OSRELDATE[release], arch);
  expect(exact).toBe(true);
  const r = parseXtcpcb(buf, layout.xtcpcb);
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe.each(PLATFORMS)('xtcpcb on FreeBSD $release/$arch', ({ release, arch }) => {
  it('decodes an established IPv4 connection: addresses, ports, state, queues and TCP fields', () => {
    const buf = xtcpcb({
      vflag: 1, laddr: '192.168.1.10', faddr: '93.184.216.34', lport: 51234, fport: 443, so: 0xfffff800aa00b000n, uid: 1001,
      rcvCc: 120, sndCc: 3400, state: 4, cc: 'cubic', stack: 'rack', sndrexmitpack: 17, rcvoopack: 3, rcvtime: 250,
      ttRexmt: 180, ttKeep: 7200000, cwnd: 14480, ssthresh: 28960, maxseg: 1448, rcvWnd: 65700, sndWnd: 131072,
      encapsPort: 4789, dsackPack: 2, dsackBytes: 2896,
    }, release, arch);
    const rec = parse(buf, release, arch);
    expect(rec).toMatchObject({
      state: 4, cc: 'cubic', stack: 'rack', sndrexmitpack: 17, rcvoopack: 3, rcvtime: 250, sndCwnd: 14480,
      sndSsthresh: 28960, maxseg: 1448, rcvWnd: 65700, sndWnd: 131072, encapsPort: 4789, syncache: false,
    });
    expect(rec.inp).toMatchObject({ family: 'ipv4', local: { address: '192.168.1.10', port: 51234 }, remote: { address: '93.184.216.34', port: 443 }, so: 0xfffff800aa00b000n, uid: 1001, rcvCc: 120, sndCc: 3400 });
    if (release === 14) expect(rec).toMatchObject({ dsackPack: 2, dsackBytes: 2896 });
    else expect(rec.dsackPack).toBeUndefined();

    const { record } = tcpSocket(rec, release);
    expect(socketRecordProblems(record)).toEqual([]);
    expect(record).toMatchObject({ protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', uid: 1001, recvQueue: 120, sendQueue: 3400, congestion: 'cubic', timer: { kind: 1, expiresMs: 180 } });
    expect(record.tcp).toMatchObject({ sndCwnd: 10, sndSsthresh: 20, sndMss: 1448, sndWnd: 131072, rcvWnd: 65700, totalRetrans: 17, rcvOoopack: 3, lastDataRecvMs: 250 });
    expect(record.tcp?.dsackDups).toBe(release === 14 ? 2 : undefined);
  });

  it('decodes IPv6 (vflag INP_IPV6) with full addresses and V6ONLY', () => {
    const buf = xtcpcb({ vflag: 2, laddr: '2001:db8::1', faddr: 'fe80::1:2', lport: 8080, fport: 40000, inpFlags: 0x8000, state: 5, maxseg: 1428, cwnd: 1428 }, release, arch);
    const { record } = tcpSocket(parse(buf, release, arch), release);
    expect(record).toMatchObject({ family: 'ipv6', state: 'CLOSE_WAIT', v6only: true, local: { address: '2001:db8::1', port: 8080 }, remote: { address: 'fe80::1:2', port: 40000 } });
  });

  it('reports a v4-mapped connection on an AF_INET6 socket (vflag IPv4 only) as IPv4', () => {
    const buf = xtcpcb({ vflag: 1, soFamily: 28, laddr: '127.0.0.1', faddr: '127.0.0.1', lport: 5432, fport: 40001, state: 4 }, release, arch);
    expect(tcpSocket(parse(buf, release, arch), release).record).toMatchObject({ family: 'ipv4', local: { address: '127.0.0.1' } });
  });

  it('reports a dual-stack listener (vflag IPv4|IPv6) as IPv6 :: with v6only false, queues from so_qlen/so_qlimit', () => {
    const buf = xtcpcb({ vflag: 3, soFamily: 28, laddr: '::', faddr: '::', lport: 80, fport: 0, state: 1, soOptions: 0x2, qlen: 3, incqlen: 1, qlimit: 128, maxseg: 536 }, release, arch);
    const rec = parse(buf, release, arch);
    expect(rec.inp.dualStack).toBe(true);
    const { record } = tcpSocket(rec, release);
    expect(record).toMatchObject({ family: 'ipv6', state: 'LISTEN', v6only: false, local: { address: '::', port: 80 }, remote: { address: '::', port: 0 }, recvQueue: 3, sendQueue: 128 });
  });

  it('decodes a syncache (half-open SYN) entry: SYN_RECV, no socket, no TCP fields', () => {
    const rec = parse(syncacheRecord({ vflag: 2, laddr: '2001:db8::80', faddr: '2001:db8::99', lport: 443, fport: 33333 }, release), release, arch);
    expect(rec.syncache).toBe(true);
    const keyed = tcpSocket(rec, release);
    expect(keyed.so).toBe(0n);
    expect(keyed.record).toMatchObject({ state: 'SYN_RECV', family: 'ipv6', remote: { address: '2001:db8::99', port: 33333 } });
    expect(keyed.record.tcp).toBeUndefined();
  });

  it('maps FreeBSD ssthresh "infinite" (TCP_MAXWIN << 14) to the Linux value TcpInfo documents', () => {
    const buf = xtcpcb({ vflag: 1, laddr: '10.1.1.1', faddr: '10.1.1.2', lport: 1, fport: 2, state: 4, maxseg: 1460, cwnd: 14600, ssthresh: 65535 * 16384 }, release, arch);
    expect(tcpSocket(parse(buf, release, arch), release).record.tcp?.sndSsthresh).toBe(0x7fffffff);
  });

  it('rejects a record with neither family bit in inp_vflag, and a record too short for the layout', () => {
    const { layout } = pickPlatformLayout(OSRELDATE[release], arch);
    const bad = xtcpcb({ vflag: 0, laddr: '0.0.0.0', faddr: '0.0.0.0', lport: 0, fport: 0, state: 0 }, release);
    expect(parseXtcpcb(bad, layout.xtcpcb)).toEqual({ error: 'invalid inp_vflag 0x0 (neither IPv4 nor IPv6)' });
    expect(parseXtcpcb(bad.subarray(0, 600), layout.xtcpcb)).toEqual({ error: expect.stringMatching(/needs \d+ bytes, got 600/) });
  });
});

describe('TIME_WAIT records', () => {
  it('FreeBSD 13: the compact tcptw record has zeroed fields, so no TcpInfo is invented from them', () => {
    const { layout } = pickPlatformLayout(OSRELDATE[13], 'amd64');
    const rec = parseXtcpcb(compactTimewait13({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 50000 }), layout.xtcpcb);
    if ('error' in rec) throw new Error(rec.error);
    expect(rec).toMatchObject({ state: 10, sndCwnd: 0, maxseg: 0 });
    const keyed = tcpSocket(rec, 13);
    expect(keyed.record).toMatchObject({ state: 'TIME_WAIT', recvQueue: 0, sendQueue: 0, local: { port: 22 } });
    expect(keyed.record.tcp).toBeUndefined();
    expect(keyed.so).toBe(0n);
  });

  it('FreeBSD 14: TIME_WAIT keeps a full tcpcb, and its fields are reported', () => {
    const { layout } = pickPlatformLayout(OSRELDATE[14], 'arm64');
    const buf = xtcpcb({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 50000, state: 10, protocol: 0, maxseg: 1448, cwnd: 2896, tt2msl: 59000, sndrexmitpack: 1 }, 14);
    const rec = parseXtcpcb(buf, layout.xtcpcb);
    if ('error' in rec) throw new Error(rec.error);
    const { record } = tcpSocket(rec, 14);
    expect(record.tcp).toMatchObject({ sndCwnd: 2, totalRetrans: 1 });
    expect(record.timer).toEqual({ kind: 3, expiresMs: 59000, retransmits: 0 });
  });
});
