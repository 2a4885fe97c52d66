import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import type { Collector, CollectorResult, MetricFamily, SocketRecord } from '@sockscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxNetlinkCollector, type NetlinkCollectorConfig } from '../src/index.js';
import { netlinkContext } from './context.js';
import { exchange, type Exchange } from './destroy-events.js';
import { openSockDiagSockets } from './loopback.js';

// The collector's destroy-event side (issue 18), through the collector's own stream(): the
// sockets closed between two collections come in the second one, after its live sockets, with
// their final tcp_info. Records are picked out by port: the host namespace is shared.

interface Streamed {
  records: SocketRecord[];
  result: CollectorResult;
}

async function stream(c: Collector, signal = new AbortController().signal): Promise<Streamed> {
  const records: SocketRecord[] = [];
  const result = await c.stream(signal, (r) => void records.push(r));
  return { records, result };
}

/** Streams until `done` holds for the closed records gathered (the reader thread batches for a few ms). */
async function streamUntil(c: Collector, done: (closed: SocketRecord[]) => boolean, timeoutMs = 5000): Promise<{ closed: SocketRecord[]; runs: Streamed[] }> {
  const closed: SocketRecord[] = [];
  const runs: Streamed[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await stream(c);
    runs.push(s);
    closed.push(...s.records.filter((r) => r.closedAt !== undefined));
    if (done(closed) || Date.now() > until) return { closed, runs };
    await new Promise((r) => setTimeout(r, 20));
  }
}

const end = (rs: SocketRecord[], local: number, remote: number) => rs.filter((r) => r.protocol === 'tcp' && r.local.port === local && r.remote.port === remote);
const all = (xs: Exchange[]) => (rs: SocketRecord[]) => xs.every((x) => end(rs, x.clientPort, x.serverPort).length > 0 && end(rs, x.serverPort, x.clientPort).length > 0);
const value = (fs: MetricFamily[] | undefined, name: string) => fs?.find((f) => f.name === name)?.samples?.[0]?.value;
const sizes = (n: number) => Array.from({ length: n }, (_, i) => ({ up: 1000 + i * 37, down: 10 + i }));

async function create(config: Partial<NetlinkCollectorConfig> = {}) {
  const ctx = netlinkContext(config);
  return { c: await linuxNetlinkCollector.create(ctx), ctx };
}

describe('linux-netlink collector: closed sockets (destroy events)', { timeout: 60_000 }, () => {
  it('connections opened and closed between two collections come in the second, once per end, after every live socket, with their final bytes', async () => {
    const { c, ctx } = await create();
    try {
      const first = await stream(c);
      const { exchanges } = await exchange('127.0.0.1', sizes(50));
      const { closed, runs } = await streamUntil(c, all(exchanges));
      const handed = [first, ...runs].reduce((n, r) => n + r.records.filter((x) => x.closedAt !== undefined).length, 0);
      for (const x of exchanges) {
        const client = end(closed, x.clientPort, x.serverPort);
        const server = end(closed, x.serverPort, x.clientPort);
        expect(client).toHaveLength(1);
        expect(server).toHaveLength(1);
        // the FIN rule: bytes_received is the data plus the peer's FIN
        expect(server[0]?.tcp?.bytesReceived).toBe(BigInt(x.up + 1));
        expect(client[0]?.tcp?.bytesReceived).toBe(BigInt(x.down + 1));
        expect(server[0]).toMatchObject({ netns: statSync('/proc/self/ns/net').ino, state: 'CLOSE' });
      }
      for (const { records, result } of runs) {
        // the contract: closed records come after every live one of their collection
        const firstClosed = records.findIndex((r) => r.closedAt !== undefined);
        if (firstClosed >= 0) expect(records.slice(firstClosed).every((r) => r.closedAt !== undefined)).toBe(true);
        expect(result.warnings ?? []).toEqual([]);
        expect(result.families?.map((f) => f.name)).toEqual(['sockscope_lifecycle_events_received_total', 'sockscope_lifecycle_events_dropped_total', 'sockscope_lifecycle_enobufs_total']);
      }
      const last = runs.at(-1)?.result.families;
      // received: every closed record handed over since the collector started
      expect(value(last, 'sockscope_lifecycle_events_received_total')).toBe(handed);
      expect(handed).toBeGreaterThanOrEqual(100);
      expect(value(last, 'sockscope_lifecycle_events_dropped_total')).toBe(0);
      expect(last?.find((f) => f.name === 'sockscope_lifecycle_events_dropped_total')?.otel).toEqual({ name: 'sockscope.lifecycle.events.dropped', unit: '{event}' });
      expect(ctx.notices).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('a socket visited alive and closed before the next collection comes closed in that one, with its cookie', async () => {
    const { c } = await create();
    try {
      const net = await import('node:net');
      const server = net.createServer((s) => s.resume().on('end', () => s.end()));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const client = net.connect(port, '127.0.0.1');
      await new Promise((r) => client.on('connect', r));
      const local = client.localPort as number;
      const { records } = await stream(c);
      const alive = end(records, local, port);
      expect(alive).toHaveLength(1);
      expect(alive[0]?.closedAt).toBeUndefined();
      client.end(Buffer.alloc(4321));
      await new Promise((r) => client.on('close', r));
      const { closed } = await streamUntil(c, (rs) => end(rs, local, port).length > 0);
      expect(end(closed, local, port).map((r) => r.cookie)).toEqual([alive[0]?.cookie]);
      server.close();
    } finally {
      await c.close();
    }
  });

  it('an aborted collection leaves the closed sockets for the next one', async () => {
    const { c } = await create();
    try {
      await stream(c);
      const { exchanges } = await exchange('127.0.0.1', sizes(5));
      await new Promise((r) => setTimeout(r, 200)); // the reader thread's batch has crossed
      const aborted = new AbortController();
      aborted.abort();
      const seen: SocketRecord[] = [];
      // an aborted dump rejects; what matters is that no closed record was handed over
      await c.stream(aborted.signal, (r) => void seen.push(r)).catch(() => undefined);
      expect(seen.filter((r) => r.closedAt !== undefined)).toEqual([]);
      const { closed } = await streamUntil(c, all(exchanges));
      expect(all(exchanges)(closed)).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('destroy_events: false reads live sockets only: no closed record, no lifecycle family, no extra socket', async () => {
    const before = openSockDiagSockets();
    const { c } = await create({ destroy_events: false });
    try {
      expect(openSockDiagSockets() - before).toBe(1);
      await stream(c);
      const { exchanges } = await exchange('127.0.0.1', sizes(5));
      await new Promise((r) => setTimeout(r, 200));
      const { records, result } = await stream(c);
      expect(records.filter((r) => r.closedAt !== undefined)).toEqual([]);
      expect(exchanges).toHaveLength(5);
      expect(result.families).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('close() closes the destroy-event socket and stops its reader thread', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    const before = { sockets: openSockDiagSockets(), threads: threads() };
    const { c } = await create();
    expect(openSockDiagSockets() - before.sockets).toBe(2);
    await stream(c);
    await c.close();
    expect(openSockDiagSockets()).toBe(before.sockets);
    expect(threads()).toBeLessThanOrEqual(before.threads);
  });
});

// A named namespace, created after the collector: the namespaces it reads change, and the
// destroy events follow them (a new source for the new set).
const NS = 'sockscope-nl-lifecycle';
const CHILD = `
const net = require('net');
const sizes = JSON.parse(process.argv[1]);
(async () => {
  const s = net.createServer((c) => { let n = 0; c.on('data', (d) => n += d.length); c.on('end', () => c.end()); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const out = [];
  for (const up of sizes) {
    const c = net.connect(s.address().port, '127.0.0.1');
    await new Promise((r) => c.on('connect', r));
    out.push({ clientPort: c.localPort, serverPort: s.address().port, up, down: 0 });
    c.end(Buffer.alloc(up, 1));
    c.resume();
    await new Promise((r) => c.on('close', r));
  }
  await new Promise((r) => s.close(r));
  console.log(JSON.stringify(out));
})();`;

afterAll(() => {
  try {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  } catch {
    // not there
  }
});

describe('linux-netlink collector: closed sockets in a named namespace', { timeout: 60_000 }, () => {
  it('a namespace that appears later is listened to from the collection that first reads it; its closures come tagged, the host\'s do not', async () => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // not there
    }
    const { c } = await create({ namespaces: [NS] });
    try {
      const missing = await stream(c);
      expect(missing.result.warnings?.map((w) => w.code)).toContain('ERR_NETLINK_NAMESPACE');
      execFileSync('ip', ['netns', 'add', NS]);
      execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      const ino = statSync(`/run/netns/${NS}`).ino;
      await stream(c); // reads the namespace: the destroy events follow it
      const host = await exchange('127.0.0.1', sizes(3));
      const made = JSON.parse(execFileSync('ip', ['netns', 'exec', NS, process.execPath, '-e', CHILD, JSON.stringify(sizes(20).map((s) => s.up))], { encoding: 'utf8' })) as Exchange[];
      const { closed } = await streamUntil(c, all(made));
      for (const x of made) {
        const server = end(closed, x.serverPort, x.clientPort);
        expect(server).toHaveLength(1);
        expect(server[0]).toMatchObject({ netns: ino, netnsName: NS });
        expect(server[0]?.tcp?.bytesReceived).toBe(BigInt(x.up + 1));
      }
      expect(closed.every((r) => r.netns === ino)).toBe(true);
      expect(host.exchanges.some((x) => end(closed, x.serverPort, x.clientPort).length > 0)).toBe(false);
    } finally {
      await c.close();
    }
  });
});
