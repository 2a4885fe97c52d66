import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import type { SocketRecord } from '@sockscope/core';
import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { createDestroyEventSource, MAIN_READER_MIN_RCVBUF } from '../src/index.js';
import { destroyContext, drainUntil, exchange, udpExchange, type Exchange } from './destroy-events.js';
import { openSockDiagSockets } from './loopback.js';
import { parseSsOutput } from './ss-text.js';

const ownNetns = statSync('/proc/self/ns/net').ino;
const ends = (rs: SocketRecord[], local: number, remote: number) => rs.filter((r) => r.local.port === local && r.remote.port === remote);

/** Byte sizes of `n` exchanges, each different, both directions. */
const sizes = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ({ up: 1 + ((i * 7919 + seed) % 200_000), down: (i * 104_729 + seed) % 50_000 }));

/**
 * Every connection's two ends arrive once each, closed, with the bytes as the kernel counts
 * them: bytes_received is the data plus the peer's FIN; bytes_acked is the data plus this end's
 * FIN, plus the SYN on the connecting side (the accepting side's SYN-ACK was acked before the
 * socket existed). Segment counts of the two ends mirror each other on loopback, but for the
 * SYN-ACK, which the accepted socket does not count as sent (its segs_in does count the SYN).
 */
function checkExchanges(records: SocketRecord[], exchanges: Exchange[], t0: number, t1: number, family: 'ipv4' | 'ipv6'): void {
  for (const x of exchanges) {
    const client = ends(records, x.clientPort, x.serverPort);
    const server = ends(records, x.serverPort, x.clientPort);
    expect(client, `client end ${x.clientPort}`).toHaveLength(1);
    expect(server, `server end of ${x.clientPort}`).toHaveLength(1);
    for (const r of [...client, ...server]) {
      expect(socketRecordProblems(r)).toEqual([]);
      expect(r).toMatchObject({ protocol: 'tcp', family, state: 'CLOSE', netns: ownNetns });
      expect(r.closedAt).toBeGreaterThanOrEqual(t0);
      expect(r.closedAt).toBeLessThanOrEqual(t1);
    }
    const c = client[0]?.tcp;
    const s = server[0]?.tcp;
    // bytes_sent counts retransmitted bytes again (a loaded loopback does retransmit: loss probes).
    expect((c?.bytesSent ?? 0n) - (c?.bytesRetrans ?? 0n)).toBe(BigInt(x.up));
    expect(c?.bytesAcked).toBe(BigInt(x.up + 2));
    expect(c?.bytesReceived).toBe(BigInt(x.down + 1));
    expect((s?.bytesSent ?? 0n) - (s?.bytesRetrans ?? 0n)).toBe(BigInt(x.down));
    expect(s?.bytesAcked).toBe(BigInt(x.down + 1));
    expect(s?.bytesReceived).toBe(BigInt(x.up + 1));
    expect(c?.segsOut).toBe(s?.segsIn);
    // The SYN-ACK left from the request socket, before the accepted socket existed.
    expect(c?.segsIn).toBe((s?.segsOut ?? 0) + 1);
    // Loopback loses nothing: even a retransmit arrives, and is counted by the receiver too.
    expect(c?.dataSegsOut).toBe(s?.dataSegsIn);
    expect(s?.dataSegsOut).toBe(c?.dataSegsIn);
  }
}

describe('destroy events, live', { timeout: 60_000 }, () => {
  it('every closed loopback connection arrives once per end, with closedAt and its final byte and segment counts (IPv4 and IPv6, worker reader)', async () => {
    const src = await createDestroyEventSource({ reader: 'worker' }, destroyContext());
    src.start();
    const t0 = Date.now();
    const v4 = await exchange('127.0.0.1', sizes(60, 1));
    const v6 = await exchange('::1', sizes(20, 2));
    const t1 = Date.now();
    const want = (rs: SocketRecord[]) => [...v4.exchanges, ...v6.exchanges].every((x) => ends(rs, x.clientPort, x.serverPort).length > 0 && ends(rs, x.serverPort, x.clientPort).length > 0);
    const { records, warnings } = await drainUntil(src, want);
    await src.close();
    expect(warnings).toEqual([]);
    checkExchanges(records, v4.exchanges, t0, t1 + 1000, 'ipv4');
    checkExchanges(records, v6.exchanges, t0, t1 + 1000, 'ipv6');
    // The listeners close too: local port, no peer.
    expect(ends(records, v4.listenerPort, 0)).toHaveLength(1);
    // (Not `buffered`: the host namespace is shared, others' closures may arrive before close.)
    expect(src.stats()).toMatchObject({ dropped: 0, enobufs: 0, malformed: 0 });
  });

  it('the main-thread reader (the default as root) sees the same', async () => {
    const src = await createDestroyEventSource({}, destroyContext());
    src.start();
    expect(src.stats().reader).toBe('main');
    const t0 = Date.now();
    const v4 = await exchange('127.0.0.1', sizes(20, 3));
    const t1 = Date.now();
    const { records, warnings } = await drainUntil(src, (rs) => v4.exchanges.every((x) => ends(rs, x.serverPort, x.clientPort).length > 0 && ends(rs, x.clientPort, x.serverPort).length > 0));
    await src.close();
    expect(warnings).toEqual([]);
    checkExchanges(records, v4.exchanges, t0, t1 + 1000, 'ipv4');
  });

  it('agrees with ss -E -ti on the same closures', async () => {
    // ss buffers its output when it is not a terminal and loses it when killed: line-buffer it.
    const ss = spawn('stdbuf', ['-oL', 'ss', '-E', '-tuinemH'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    ss.stdout.on('data', (d: Buffer) => void (text += d.toString()));
    await new Promise((r) => setTimeout(r, 300)); // ss subscribes after it starts
    const src = await createDestroyEventSource({}, destroyContext());
    src.start();
    const v4 = await exchange('127.0.0.1', sizes(5, 4));
    const { records } = await drainUntil(src, (rs) => v4.exchanges.every((x) => ends(rs, x.serverPort, x.clientPort).length > 0 && ends(rs, x.clientPort, x.serverPort).length > 0));
    await src.close();
    await new Promise((r) => setTimeout(r, 200));
    ss.kill();
    await once(ss, 'exit');
    const printed = parseSsOutput(text);
    let compared = 0;
    for (const x of v4.exchanges) {
      for (const r of [...ends(records, x.clientPort, x.serverPort), ...ends(records, x.serverPort, x.clientPort)]) {
        const s = printed.get(r.cookie as bigint);
        expect(s, `ss printed socket ${r.cookie}`).toBeDefined();
        expect(s?.local.port).toBe(r.local.port);
        expect(s?.info.get('bytes_acked')?.[0]).toBe(Number(r.tcp?.bytesAcked));
        expect(s?.info.get('bytes_received')?.[0]).toBe(Number(r.tcp?.bytesReceived));
        expect(s?.info.get('segs_out')?.[0]).toBe(r.tcp?.segsOut);
        expect(s?.info.get('segs_in')?.[0]).toBe(r.tcp?.segsIn);
        compared++;
      }
    }
    expect(compared).toBe(10);
  });

  it('UDP sockets arrive with closedAt and no tcp_info (IPv4 and IPv6)', async () => {
    const src = await createDestroyEventSource({}, destroyContext());
    src.start();
    const t0 = Date.now();
    const u4 = await udpExchange('udp4', '127.0.0.1', 10);
    const u6 = await udpExchange('udp6', '::1', 10);
    const pairs = [
      { ...u4, family: 'ipv4' },
      { ...u6, family: 'ipv6' },
    ];
    const { records } = await drainUntil(src, (rs) => pairs.every((p) => ends(rs, p.a, p.b).length > 0 && ends(rs, p.b, p.a).length > 0));
    await src.close();
    for (const p of pairs) {
      for (const [l, r] of [[p.a, p.b], [p.b, p.a]] as const) {
        const got = ends(records, l, r);
        expect(got).toHaveLength(1);
        expect(socketRecordProblems(got[0] as SocketRecord)).toEqual([]);
        expect(got[0]).toMatchObject({ protocol: 'udp', family: p.family, netns: ownNetns });
        expect(got[0]?.tcp).toBeUndefined();
        expect(got[0]?.closedAt).toBeGreaterThanOrEqual(t0);
      }
    }
  });

  it('refused connects arrive with their final tcp_info: one segment out (the SYN), one in (the RST), no retransmit, no RTT sample', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const closedPort = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const src = await createDestroyEventSource({}, destroyContext());
    src.start();
    const ports: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = net.connect(closedPort, '127.0.0.1');
      c.on('connect', () => void ports.push(-1));
      const [err] = (await once(c, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ECONNREFUSED');
      c.destroy();
    }
    const { records } = await drainUntil(src, (rs) => rs.filter((r) => r.remote.port === closedPort).length >= 10);
    await src.close();
    const refused = records.filter((r) => r.remote.port === closedPort);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r).toMatchObject({ protocol: 'tcp', state: 'CLOSE', remote: { address: '127.0.0.1', port: closedPort } });
      expect(r.tcp).toMatchObject({ segsOut: 1, segsIn: 1, totalRetrans: 0, rttUs: 0, minRttUs: 0xffffffff, bytesAcked: 0n, bytesReceived: 0n, bytesSent: 0n, dataSegsOut: 0 });
    }
  });

  it('reads on the main thread, no thread started, with the receive buffer granted to root (8 MiB); on a worker thread with a small one', async () => {
    const tasks = () => readdirSync('/proc/self/task').length;
    const before = tasks();
    const big = await createDestroyEventSource({}, destroyContext());
    big.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(big.stats()).toMatchObject({ reader: 'main', sockets: [{ rcvbuf: 8 * 1024 * 1024, forced: true }] });
    expect(tasks()).toBe(before);
    await big.close();
    const small = await createDestroyEventSource({ rcvbuf: MAIN_READER_MIN_RCVBUF - 4096 }, destroyContext());
    small.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(small.stats().reader).toBe('worker');
    expect(tasks()).toBeGreaterThan(before);
    await small.close();
    expect(tasks()).toBe(before);
  });

  it('close() stops the reader thread and leaves no netlink socket open', async () => {
    const tasks = () => readdirSync('/proc/self/task').length;
    const before = { sockets: openSockDiagSockets(), tasks: tasks() };
    const src = await createDestroyEventSource({ reader: 'worker' }, destroyContext());
    src.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(openSockDiagSockets()).toBe(before.sockets + 1);
    expect(tasks()).toBeGreaterThan(before.tasks);
    await src.close();
    await src.close();
    expect(openSockDiagSockets()).toBe(before.sockets);
    expect(tasks()).toBe(before.tasks);
    src.start(); // after close: nothing
    expect(openSockDiagSockets()).toBe(before.sockets);
  });
});
