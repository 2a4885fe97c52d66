import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { directionEnricher, enrichRecords, listSockets, type RecordEnrichment, type SocketRecord } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCgroup } from '../../src/enrichers/parse-cgroup.js';
import { linkInode, parseStat } from '../../src/enrichers/proc-files.js';
import { containerEnricher } from '../../src/plugins/container.js';
import { linuxProcfsSocketsCollector } from '../../src/plugins/linux-procfs-sockets.js';
import { processEnricher } from '../../src/plugins/process.js';
import { containerContext } from './container-context.js';
import { fdInode, handleFd, tcpPair, type TcpPair } from '../sockets/loopback.js';

// A child process listens on loopback (TCP v4 and v6, UDP); the test process connects to it.
// Collector → process → container → direction must then name each socket's owner and way.
const CHILD = `
const net = require('node:net'), dgram = require('node:dgram');
const t4 = net.createServer(), t6 = net.createServer(), u = dgram.createSocket('udp4');
t4.listen(0, '127.0.0.1', () => t6.listen({ port: 0, host: '::1', ipv6Only: true }, () => u.bind(0, '127.0.0.1', () =>
  process.stdout.write(JSON.stringify({ t4: t4.address().port, t6: t6.address().port, u: u.address().port }) + '\\n'))));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

const socketsConfig = { procfs_path: '/proc', tables: ['tcp', 'tcp6', 'udp', 'udp6'] } as const;
const enricherConfig = { procfs_path: '/proc', cache_size: 8192 };

/** The table read whole, then enriched as a list by each enricher in turn (core's derived list form). */
async function enrichedSnapshot(): Promise<SocketRecord[]> {
  const collector = await linuxProcfsSocketsCollector.create(testContext(socketsConfig));
  const { sockets } = await listSockets(collector);
  expect(await enrichRecords(await processEnricher.create(testContext(enricherConfig)), sockets)).toEqual({});
  // the container enricher's finish also publishes its cache families: no warnings is what counts
  expect((await enrichRecords(await containerEnricher.create(containerContext(enricherConfig)), sockets)).warnings).toBeUndefined();
  await enrichRecords(await directionEnricher.create(testContext({})), sockets);
  return sockets;
}

/** The agent's one path: every enricher prepared, then each record enriched as the collector streams it. */
async function streamedSnapshot(): Promise<SocketRecord[]> {
  const collector = await linuxProcfsSocketsCollector.create(testContext(socketsConfig));
  const signal = new AbortController().signal;
  const runs: RecordEnrichment[] = [];
  runs.push(await (await processEnricher.create(testContext(enricherConfig))).prepare(signal));
  runs.push(await (await containerEnricher.create(containerContext(enricherConfig))).prepare(signal));
  runs.push(await (await directionEnricher.create(testContext({}))).prepare(signal));
  const arrived: SocketRecord[] = [];
  await collector.stream(signal, (s) => {
    for (const run of runs) run.enrich(s);
    arrived.push(s);
  });
  for (const run of runs) expect(run.finish().warnings).toBeUndefined();
  return arrived;
}

describe.runIf(process.platform === 'linux')('process, container and direction enrichment of live loopback sockets', () => {
  let child: ChildProcess;
  let ports: { t4: number; t6: number; u: number };
  let to4: net.Socket;
  let to6: net.Socket;
  let own: TcpPair;
  let sockets: SocketRecord[];
  const ownNetns = linkInode(readlinkSync('/proc/self/ns/net'), 'net');

  beforeAll(async () => {
    child = spawn(process.execPath, ['-e', CHILD, 'sockscope-live-child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    ports = JSON.parse(await new Promise<string>((ok) => child.stdout?.once('data', (d: Buffer) => ok(d.toString()))));
    const connect = (host: string, port: number) => new Promise<net.Socket>((ok) => { const c = net.connect({ host, port }, () => ok(c)); });
    [to4, to6, own] = await Promise.all([connect('127.0.0.1', ports.t4), connect('::1', ports.t6), tcpPair('127.0.0.1')]);
    sockets = await enrichedSnapshot();
  });
  afterAll(async () => {
    to4?.destroy();
    to6?.destroy();
    await own?.close();
    child?.stdin?.end();
    await new Promise((ok) => (child.exitCode !== null ? ok(null) : child.once('exit', ok)));
  });

  it("names the child as the owner of its listeners, with comm, cmdline, ppid, uid and start time", () => {
    const startTime = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))?.startTime;
    for (const [protocol, port] of [['tcp', ports.t4], ['tcp', ports.t6], ['udp', ports.u]] as const) {
      const s = sockets.find((x) => x.protocol === protocol && x.local.port === port && x.remote.port === 0);
      expect(s?.process).toMatchObject({ pid: child.pid, ppid: process.pid, comm: 'node', uid: 0, startTime });
      expect(s?.process?.cmdline).toContain('sockscope-live-child');
      expect(s?.direction).toBe('listen');
    }
  });

  it('gives each end of a connection to its own process, with the inode /proc/self/fd shows', () => {
    const myComm = readFileSync('/proc/self/comm', 'utf8').trim();
    for (const [client, port] of [[to4, ports.t4], [to6, ports.t6]] as const) {
      const mine = sockets.find((s) => s.inode === fdInode(handleFd(client)));
      expect(mine).toMatchObject({ state: 'ESTABLISHED', remote: { port }, process: { pid: process.pid, comm: myComm }, direction: 'local' });
      const theirs = sockets.find((s) => s.local.port === port && s.remote.port === client.localPort);
      expect(theirs).toMatchObject({ state: 'ESTABLISHED', process: { pid: child.pid }, direction: 'local' });
    }
    const accepted = sockets.find((s) => s.inode === fdInode(handleFd(own.accepted)));
    expect(accepted?.process?.pid).toBe(process.pid);
  });

  it('puts every socket in a network namespace and the owners in their cgroup', () => {
    const childCgroup = parseCgroup(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'));
    const listener = sockets.find((s) => s.local.port === ports.t4 && s.state === 'LISTEN');
    expect(listener?.container).toEqual(childCgroup);
    expect(listener?.netns).toBe(ownNetns);
    // other jobs on this host own sockets too: look only at this test's two processes
    const ours = sockets.filter((s) => s.process?.pid === process.pid || s.process?.pid === child.pid);
    expect(ours.length).toBeGreaterThanOrEqual(7);
    expect(ours.every((s) => s.netns === ownNetns)).toBe(true);
  });

  it('gives the same owner, container, namespace and direction when records are enriched one by one as read', async () => {
    const streamed = await streamedSnapshot();
    const ours = sockets.filter((s) => s.process?.pid === process.pid || s.process?.pid === child.pid);
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const s of ours) {
      const same = streamed.find((x) => x.inode === s.inode);
      expect(same && { process: same.process, container: same.container, netns: same.netns, direction: same.direction }).toEqual({
        process: s.process, container: s.container, netns: s.netns, direction: s.direction,
      });
    }
  });
});
