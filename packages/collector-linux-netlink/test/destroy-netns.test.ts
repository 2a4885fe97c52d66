import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SocketRecord } from '@sockscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestroyEventSource } from '../src/index.js';
import { destroyContext, drainUntil, exchange } from './destroy-events.js';

// A named namespace with a child inside it that closes sockets on command, so that what the
// source hears there is exactly what the test made (the host namespace is busy with others).
const NS = 'sockscope-nl-destroy';
const CHILD = `
const net = require('net'); const rl = require('readline').createInterface({ input: process.stdin });
const listen = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => r(s)); });
rl.on('line', async (line) => {
  const [cmd, n] = line.split(' ');
  const ports = [];
  if (cmd === 'listeners' || cmd === 'trickle') {
    const servers = [];
    for (let i = 0; i < Number(n); i++) servers.push(await listen());
    for (const s of servers) {
      ports.push(s.address().port);
      await new Promise((r) => s.close(r));
      if (cmd === 'trickle') await new Promise((r) => setTimeout(r, 2));
    }
  } else if (cmd === 'connect') {
    const c = net.connect(Number(n), '127.0.0.1');
    let local = 0;
    setImmediate(() => { local = c.localPort; }); // bound by connect(), gone once it failed
    const code = await new Promise((r) => { c.on('connect', () => r('connected')); c.on('error', (e) => r(e.code)); });
    c.destroy();
    ports.push(local, code);
  } else if (cmd === 'connections') {
    const s = await listen();
    s.on('connection', (c) => { c.resume(); c.on('end', () => c.end()); });
    for (let i = 0; i < Number(n); i++) {
      const c = net.connect(s.address().port, '127.0.0.1');
      await new Promise((r) => c.on('connect', r));
      ports.push(c.localPort);
      c.end(Buffer.alloc(1000 + i, 1));
      await new Promise((r) => c.on('close', r));
    }
    await new Promise((r) => s.close(r));
  }
  console.log(JSON.stringify(ports));
});
console.log('ready');`;

let child: ChildProcess;
let lines: AsyncIterableIterator<string>;

async function inNs(cmd: string): Promise<number[]> {
  child.stdin?.write(`${cmd}\n`);
  const { value } = await lines.next();
  return JSON.parse(value as string) as number[];
}

beforeAll(async () => {
  try {
    execFileSync('ip', ['netns', 'delete', NS], { stdio: 'ignore' });
  } catch {
    // none left over
  }
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  // A port whose SYNs vanish, and few SYN retries, for a connect that times out in ~3 s.
  execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.tcp_syn_retries=1']);
  execFileSync('ip', ['netns', 'exec', NS, 'nft', 'add table inet sockscope_test']);
  execFileSync('ip', ['netns', 'exec', NS, 'nft', 'add chain inet sockscope_test input { type filter hook input priority 0; }']);
  execFileSync('ip', ['netns', 'exec', NS, 'nft', 'add rule inet sockscope_test input tcp dport 9 drop']);
  child = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.stdin?.end();
    await once(child, 'exit');
  }
  try {
    execFileSync('ip', ['netns', 'delete', NS], { stdio: 'ignore' });
  } catch {
    // beforeAll failed before creating it
  }
});

describe('destroy events in a named network namespace', { timeout: 60_000 }, () => {
  it("a source on a named namespace hears that namespace's closures, tagged with it, and not the host's", async () => {
    const nsIno = statSync(`/run/netns/${NS}`).ino;
    const src = await createDestroyEventSource({ namespaces: [NS] }, destroyContext());
    src.start();
    const clientPorts = await inNs('connections 20');
    const host = await exchange('127.0.0.1', [{ up: 10, down: 10 }]);
    const { records, warnings } = await drainUntil(src, (rs) => clientPorts.every((p) => rs.some((r) => r.local.port === p)));
    await new Promise((r) => setTimeout(r, 200));
    records.push(...src.drain().records);
    await src.close();
    expect(warnings).toEqual([]);
    expect(src.stats().sockets).toEqual([expect.objectContaining({ netns: nsIno, netnsName: NS })]);
    for (const p of clientPorts) {
      const mine = records.filter((r) => r.local.port === p);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ netns: nsIno, netnsName: NS, protocol: 'tcp', state: 'CLOSE' });
      expect(mine[0]?.tcp?.bytesSent).toBeGreaterThan(999n);
    }
    // Only that namespace's sockets: the 20 clients, their 20 accepted ends and the listener.
    expect(records).toHaveLength(41);
    const hostPorts = new Set([host.listenerPort, ...host.exchanges.map((x) => x.clientPort)]);
    expect(records.filter((r) => hostPorts.has(r.local.port) && hostPorts.has(r.remote.port))).toEqual([]);
  });

  it('failed connects: refused (RST) arrives with segs_in 1 and no retransmit, timed out (SYNs dropped) with segs_in 0 and retransmits; neither has an RTT sample', async () => {
    const src = await createDestroyEventSource({ namespaces: [NS] }, destroyContext());
    src.start();
    const [refusedPort, refusedCode] = await inNs('connect 10');
    const [timedOutPort, timedOutCode] = await inNs('connect 9');
    expect([refusedCode, timedOutCode]).toEqual(['ECONNREFUSED', 'ETIMEDOUT']);
    const { records } = await drainUntil(src, (rs) => rs.filter((r) => r.remote.port === 9 || r.remote.port === 10).length >= 2);
    await src.close();
    const refused = records.filter((r) => r.remote.port === 10);
    const timedOut = records.filter((r) => r.remote.port === 9);
    expect(refused.map((r) => r.local.port)).toEqual([refusedPort]);
    expect(timedOut.map((r) => r.local.port)).toEqual([timedOutPort]);
    const noRtt = { rttUs: 0, minRttUs: 0xffffffff, bytesAcked: 0n, bytesReceived: 0n, dataSegsOut: 0 };
    expect(refused[0]).toMatchObject({ state: 'CLOSE', remote: { address: '127.0.0.1', port: 10 }, tcp: { ...noRtt, segsOut: 1, segsIn: 1, totalRetrans: 0 } });
    expect(timedOut[0]).toMatchObject({ state: 'CLOSE', remote: { address: '127.0.0.1', port: 9 }, tcp: { ...noRtt, segsIn: 0 } });
    const t = timedOut[0]?.tcp;
    expect(t?.totalRetrans).toBeGreaterThan(0);
    expect(t?.segsOut).toBe(1 + (t?.totalRetrans ?? 0));
  });

  it('with `all`, one reader hears every namespace, each record tagged with its own', async () => {
    const nsIno = statSync(`/run/netns/${NS}`).ino;
    const own = statSync('/proc/self/ns/net').ino;
    const src = await createDestroyEventSource({ namespaces: 'all' }, destroyContext());
    src.start();
    const nsPorts = await inNs('connections 5');
    const host = await exchange('127.0.0.1', [{ up: 10, down: 20 }, { up: 30, down: 40 }]);
    const hostPorts = host.exchanges.map((x) => x.clientPort);
    const { records } = await drainUntil(src, (rs) => [...nsPorts, ...hostPorts].every((p) => rs.some((r) => r.local.port === p && (r.netns === nsIno) === nsPorts.includes(p))));
    await src.close();
    expect(src.stats().sockets.map((s) => s.netns)).toEqual(expect.arrayContaining([own, nsIno]));
    for (const p of nsPorts) expect(records.filter((r) => r.local.port === p && r.netns === nsIno && r.netnsName === NS)).toHaveLength(1);
    for (const p of hostPorts) expect(records.filter((r) => r.local.port === p && r.netns === own && r.remote.port === host.listenerPort)).toHaveLength(1);
  });

  it('when the main thread falls behind, the worker drops whole batches and counts every event it dropped', async () => {
    const src = await createDestroyEventSource({ namespaces: [NS], reader: 'worker', maxInflightBatches: 1, flushMs: 1 }, destroyContext());
    src.start();
    const burst = inNs('trickle 300'); // one close every 2 ms or so
    await new Promise((r) => setTimeout(r, 10)); // the command on its way to the child
    // The main thread stuck while the namespace's sockets close: the first batch waits, the
    // worker must not queue more.
    const until = Date.now() + 1500;
    while (Date.now() < until);
    const ports = await burst;
    const { records, warnings } = await drainUntil(src, () => false, 500);
    await src.close();
    const stats = src.stats();
    const heard = records.filter((r) => ports.includes(r.local.port)).length;
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.enobufs).toBe(0);
    expect(heard + stats.dropped).toBe(300);
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`^ERR_NETLINK_EVENTS_DROPPED: ${stats.dropped} destroy events dropped since the last drain`))]);
  });

  it('read on the main thread (the default with the 8 MiB receive buffer), loses nothing while the main thread is stuck 1.5 s: the kernel holds the events', async () => {
    const src = await createDestroyEventSource({ namespaces: [NS] }, destroyContext());
    src.start();
    expect(src.stats().reader).toBe('main');
    const burst = inNs('trickle 300');
    await new Promise((r) => setTimeout(r, 10));
    const until = Date.now() + 1500;
    while (Date.now() < until);
    const ports = await burst;
    const { records, warnings } = await drainUntil(src, (rs) => rs.filter((r) => ports.includes(r.local.port)).length >= 300, 3000);
    await src.close();
    const stats = src.stats();
    expect(records.filter((r) => ports.includes(r.local.port)).length).toBe(300);
    expect(stats).toMatchObject({ dropped: 0, enobufs: 0 });
    expect(warnings).toEqual([]);
  });

  it('the worker counts ENOBUFS when the kernel dropped events for a full receive buffer, says so in the next drain, and reads the events after it', async () => {
    // The smallest receive buffer the kernel allows, and nobody reading while 200 sockets close.
    const src = await createDestroyEventSource({ namespaces: [NS], reader: 'worker', rcvbuf: 1 }, destroyContext());
    const burst = await inNs('listeners 200');
    src.start();
    // The kernel broadcasts from a work queue that may still be sending the burst (and
    // overflowing the buffer again): close one listener at a time until one is heard.
    const records: SocketRecord[] = [];
    const warnings: string[] = [];
    let heard = false;
    for (let i = 0; i < 20 && !heard; i++) {
      const [late] = await inNs('listeners 1');
      const got = await drainUntil(src, (rs) => rs.some((r) => r.local.port === late), 500);
      records.push(...got.records);
      warnings.push(...got.warnings);
      heard = got.records.some((r) => r.local.port === late);
    }
    await src.close();
    const stats = src.stats();
    expect(stats.enobufs).toBeGreaterThan(0);
    expect(records.filter((r) => burst.includes(r.local.port)).length).toBeLessThan(200);
    expect(heard).toBe(true);
    const lost = warnings.filter((w) => w.startsWith('ERR_NETLINK_EVENTS_LOST: the kernel dropped destroy events (recv() returned ENOBUFS'));
    expect(lost.length).toBeGreaterThan(0);
    expect(warnings).toEqual(lost); // nothing else went wrong
    expect(stats.sockets[0]?.rcvbuf).toBeLessThan(10_000);
  });
});
