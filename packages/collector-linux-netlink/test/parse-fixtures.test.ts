import type { SocketRecord } from '@sockscope/core';
import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { forEachAttribute } from '../src/parse/attributes.js';
import { INET_DIAG } from '../src/parse/constants.js';
import { scanDatagram } from '../src/parse/netlink-messages.js';
import { parseTcpInfo, parseTcpInfoByTable } from '../src/parse/tcp-info.js';
import { DUMP_SEQ, fixture, manifest, parseCapturedDump, ssText } from './fixtures.js';
import { parseSsOutput } from './ss-text.js';

// Fixtures: real datagrams from kernel 6.18 (scripts/capture-fixtures.sh), in a fresh namespace
// holding only the sockets the capture script opened (see manifest.json).
const dumps = ['tcp4', 'tcp6', 'udp4', 'udp6'].map((label) => ({ label, ...parseCapturedDump(label) }));
const all: SocketRecord[] = dumps.flatMap((d) => d.records);
const byInode = (inode: number) => all.find((r) => r.inode === inode);
const ss = parseSsOutput(ssText);

describe('captured dumps parse cleanly', () => {
  it.each(dumps)('$label: every datagram parses without problems and the last one ends the dump', ({ outcomes, records }) => {
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    expect(outcomes.map((o) => o.done)).toEqual([...outcomes.slice(1).map(() => false), true]);
    expect(outcomes.every((o) => !o.interrupted && o.errno === 0 && o.stale === 0)).toBe(true);
    expect(records.map(socketRecordProblems).filter((p) => p.length > 0)).toEqual([]);
  });

  // The first datagram is small: the kernel sizes it before it learns the reader's buffer size.
  it('the IPv4 TCP dump spans three data datagrams plus DONE, and holds every socket', () => {
    const tcp4 = dumps[0];
    expect(manifest.files.tcp4).toHaveLength(4);
    // 3 listeners, 2 + 1 (mapped client) + 120 bulk established, 1 time-wait
    expect(tcp4?.records).toHaveLength(3 + 3 + 120 + 1);
    expect(tcp4?.outcomes.map((o) => o.parsed)).toEqual([8, 71, 48, 0]);
  });

  it('finds as many sockets as ss printed, each matched by cookie', () => {
    expect(all).toHaveLength(ss.size);
    for (const r of all) expect(ss.has(r.cookie as bigint), `cookie ${r.cookie}`).toBe(true);
  });
});

describe('records match what the capture script opened', () => {
  const opened = manifest.sockets.filter((s) => s.inode > 0);
  it.each(opened)('$name', (m) => {
    const r = byInode(m.inode);
    expect(r).toBeDefined();
    expect(r).toMatchObject({ protocol: m.protocol, family: m.family, state: m.state, local: m.local });
    if (m.remote) expect(r?.remote).toEqual(m.remote);
    else expect(r?.remote.port).toBe(0);
    if (m.v6only !== undefined) expect(r?.v6only).toBe(m.v6only);
    if (m.family === 'ipv4') expect(r?.v6only).toBeUndefined();
    // A listener's send queue is its backlog limit.
    if (m.backlog !== undefined) expect(r?.sendQueue).toBe(m.backlog);
    if (m.protocol === 'udp') expect(r?.tcp).toBeUndefined();
    if (m.sent !== undefined) expect(r?.tcp?.bytesSent).toBe(BigInt(m.sent));
    if (m.received !== undefined) expect(r?.tcp?.bytesReceived).toBe(BigInt(m.received));
  });

  it('the active closer sits in TIME_WAIT with a timewait timer and no inode or tcp_info', () => {
    const m = manifest.sockets.find((s) => s.name === 'tcp4-time-wait');
    const r = all.find((x) => x.state === 'TIME_WAIT');
    expect(r).toMatchObject({ local: m?.local, remote: m?.remote, inode: 0, uid: 0, recvQueue: 0, sendQueue: 0 });
    expect(r?.timer?.kind).toBe(3);
    expect(r?.timer?.expiresMs).toBeGreaterThan(50_000);
    expect(r?.timer?.expiresMs).toBeLessThanOrEqual(60_000);
    expect(r?.tcp).toBeUndefined();
    expect(r?.memory).toBeUndefined();
  });

  it('an established loopback connection has plausible tcp_info', () => {
    const client = byInode(manifest.sockets.find((s) => s.name === 'tcp4-client')?.inode ?? -1);
    const t = client?.tcp;
    expect(client?.congestion).toBe('bbr');
    expect(t?.rttUs).toBeGreaterThan(0);
    expect(t?.rttUs).toBeLessThan(10_000);
    expect(t?.sndCwnd).toBeGreaterThanOrEqual(10);
    expect(t?.bytesAcked).toBe(100_001n); // 100,000 bytes + the SYN
    expect(t?.pmtu).toBe(65535);
    expect(t?.advmss).toBe(65483);
    expect(t?.sndWscale).toBe(10);
    expect(t?.rcvWscale).toBe(10);
    expect(t?.totalRetrans).toBe(0);
    expect(t?.deliveryRate).toBeGreaterThan(0n);
    expect(client?.memory?.sndbuf).toBeGreaterThan(0);
  });

  it('a listener reports an unlimited pacing rate as all-ones u64, kept exact as bigint', () => {
    const listener = byInode(manifest.sockets.find((s) => s.name === 'tcp4-listen')?.inode ?? -1);
    expect(listener?.tcp?.pacingRate).toBe(0xffff_ffff_ffff_ffffn);
    expect(listener?.tcp?.maxPacingRate).toBe(0xffff_ffff_ffff_ffffn);
  });
});

describe('records match ss -tuanemiH field by field', () => {
  it.each(all.map((r) => [`${r.protocol} ${r.local.address}:${r.local.port} → ${r.remote.address}:${r.remote.port}`, r] as const))('%s', (_name, r) => {
    const s = ss.get(r.cookie as bigint);
    expect(s).toBeDefined();
    if (!s) return;
    expect(s.netid).toBe(r.protocol);
    expect(s.inode).toBe(r.inode);
    expect(s.local).toEqual({ address: r.local.address.replace(/^0\.0\.0\.0$/, s.local.address), port: r.local.port });
    expect(s.peer.port).toBe(r.remote.port);
    expect([s.recvQ, s.sendQ]).toEqual([r.recvQueue, r.sendQueue]);
    if (s.v6only !== undefined) expect(r.v6only).toBe(s.v6only);
    if (s.skmem) {
      const m = r.memory;
      expect(s.skmem).toEqual([m?.rmemAlloc, m?.rcvbuf, m?.wmemAlloc, m?.sndbuf, m?.fwdAlloc, m?.wmemQueued, m?.optmem, m?.backlog, m?.drops]);
    }
    if (r.state === 'TIME_WAIT') expect(s.timer?.name).toBe('timewait');
    const t = r.tcp;
    if (!t || r.state === 'LISTEN') return;
    expect(s.congestion).toBe(r.congestion);
    // ss prints times in ms with %g and rates in bits per second (-n keeps them unscaled).
    expect(s.info.get('rtt')).toEqual([(t.rttUs ?? 0) / 1000, (t.rttvarUs ?? 0) / 1000]);
    expect(s.info.get('minrtt')).toEqual([(t.minRttUs ?? 0) / 1000]);
    expect(s.info.get('cwnd')).toEqual([t.sndCwnd]);
    expect(s.info.get('mss')).toEqual([t.sndMss]);
    expect(s.info.get('rcvmss')).toEqual([t.rcvMss]);
    expect(s.info.get('advmss')).toEqual([t.advmss]);
    expect(s.info.get('pmtu')).toEqual([t.pmtu]);
    expect(s.info.get('wscale')).toEqual([t.sndWscale, t.rcvWscale]);
    expect(s.info.get('rcv_space')).toEqual([t.rcvSpace]);
    expect(s.info.get('rcv_ssthresh')).toEqual([t.rcvSsthresh]);
    expect(s.info.get('snd_wnd')).toEqual([t.sndWnd]);
    expect(s.info.get('delivered')).toEqual([t.delivered]);
    // Counters ss leaves out when zero.
    const orZero = (k: string) => s.info.get(k)?.[0] ?? 0;
    expect(orZero('bytes_acked')).toBe(Number(t.bytesAcked));
    expect(orZero('bytes_sent')).toBe(Number(t.bytesSent));
    expect(orZero('bytes_received')).toBe(Number(t.bytesReceived));
    expect(orZero('segs_out')).toBe(t.segsOut);
    expect(orZero('segs_in')).toBe(t.segsIn);
    expect(orZero('data_segs_out')).toBe(t.dataSegsOut);
    expect(orZero('data_segs_in')).toBe(t.dataSegsIn);
    expect(orZero('delivery_rate')).toBe(Number(t.deliveryRate) * 8);
    expect(orZero('pacing_rate')).toBe(Number(t.pacingRate) * 8);
    expect(orZero('rcv_rtt')).toBe((t.rcvRttUs ?? 0) / 1000);
  });
});

describe('the raw layout of this kernel', () => {
  it('sends a 280-byte tcp_info, longer than the 248 bytes the parser knows, and the parser reads what it knows', () => {
    const buf = fixture('tcp6-0.bin');
    const scan = scanDatagram(buf);
    const first = scan.messages[0];
    const lengths: number[] = [];
    forEachAttribute(buf, (first?.payloadOffset ?? 0) + 72, (first?.payloadOffset ?? 0) + (first?.payloadLength ?? 0), (type, _at, len) => {
      if (type === INET_DIAG.INFO) lengths.push(len);
    });
    expect(lengths).toEqual([280]);
  });

  it('the one-shape fast path and the field-by-field path agree on every captured tcp_info', () => {
    let compared = 0;
    for (const f of [...(manifest.files.tcp4 ?? []), ...(manifest.files.tcp6 ?? [])]) {
      const buf = fixture(f);
      for (const m of scanDatagram(buf).messages) {
        forEachAttribute(buf, m.payloadOffset + 72, m.payloadOffset + m.payloadLength, (type, at, len) => {
          if (type !== INET_DIAG.INFO) return;
          expect(parseTcpInfo(buf, at, len)).toStrictEqual(parseTcpInfoByTable(buf, at, len));
          compared++;
        });
      }
    }
    expect(compared).toBe(all.filter((r) => r.protocol === 'tcp' && r.state !== 'TIME_WAIT').length);
  });

  it('reads the same tcp_info at any byte alignment (typed-array words when 4-aligned, field by field otherwise)', () => {
    const buf = fixture('tcp4-0.bin');
    const infos: [number, number][] = [];
    for (const m of scanDatagram(buf).messages) {
      forEachAttribute(buf, m.payloadOffset + 72, m.payloadOffset + m.payloadLength, (type, at, len) => {
        if (type === INET_DIAG.INFO) infos.push([at, len]);
      });
    }
    expect(infos.length).toBeGreaterThan(0);
    for (const [at, len] of infos) {
      const want = parseTcpInfoByTable(buf, at, len);
      for (const shift of [0, 1, 2, 3, 4, 5]) {
        // the bytes at an offset of `shift` into a fresh buffer, and into a view that itself
        // starts `shift` bytes into its ArrayBuffer
        const moved = Buffer.alloc(len + 16);
        buf.copy(moved, shift, at, at + len);
        expect(parseTcpInfo(moved, shift, len)).toStrictEqual(want);
        const view = moved.subarray(shift);
        expect(parseTcpInfo(view, 0, len)).toStrictEqual(want);
      }
    }
  });

  it('u64 fields whose high half is set: a byte counter past 4 GiB, the unlimited pacing rate', () => {
    const [at, len] = ((): [number, number] => {
      const buf = fixture('tcp4-0.bin');
      for (const m of scanDatagram(buf).messages) {
        let found: [number, number] | undefined;
        forEachAttribute(buf, m.payloadOffset + 72, m.payloadOffset + m.payloadLength, (type, a, l) => {
          if (type === INET_DIAG.INFO) found ??= [a, l];
        });
        if (found) return found;
      }
      throw new Error('no tcp_info in tcp4-0.bin');
    })();
    for (const shift of [0, 4, 2]) {
      const b = Buffer.alloc(len + 8);
      fixture('tcp4-0.bin').copy(b, shift, at, at + len);
      // struct tcp_info (linux/tcp.h): tcpi_bytes_acked at 120, tcpi_max_pacing_rate at 112, tcpi_bytes_sent at 200
      b.writeBigUInt64LE(2n ** 40n + 5n, shift + 120);
      b.writeBigUInt64LE(2n ** 64n - 1n, shift + 112);
      b.writeBigUInt64LE(0n, shift + 200);
      b.writeBigUInt64LE(4_000_000_000n, shift + 208);
      const t = parseTcpInfo(b, shift, len);
      expect(t.bytesAcked).toBe(1_099_511_627_781n);
      expect(t.maxPacingRate).toBe(18_446_744_073_709_551_615n);
      expect(t.bytesSent).toBe(0n);
      expect(t.bytesRetrans).toBe(4_000_000_000n);
      expect(t).toStrictEqual(parseTcpInfoByTable(b, shift, len));
    }
  });

  it('an unknown address family is refused with NLMSG_ERROR EINVAL, which ends the dump', () => {
    const { outcomes, records } = parseCapturedDump('error-family99');
    expect(records).toEqual([]);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ done: true, errno: 22, problems: [] });
    expect(DUMP_SEQ['error-family99']).toBe(105);
  });
});
