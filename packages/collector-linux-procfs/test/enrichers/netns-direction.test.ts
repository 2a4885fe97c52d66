import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { directionEnricher, enrichRecords, listSockets, type SocketRecord } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerEnricher } from '../../src/plugins/container.js';
import { linuxProcfsSocketsCollector } from '../../src/plugins/linux-procfs-sockets.js';
import { processEnricher } from '../../src/plugins/process.js';
import { containerContext } from './container-context.js';

// Loopback is always "local", so inbound and outbound need a peer that is another host: two
// network namespaces joined by a veth pair, a server in one and its client in the other. Each
// side's table is read through /proc/<pid>/net of a process inside it.
const NS_A = 'sockscope-procfs-a';
const NS_B = 'sockscope-procfs-b';
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const dropNamespaces = () => {
  for (const ns of [NS_A, NS_B]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); // the veth pair goes with them
    } catch {
      // not there
    }
  }
};
const canRun = process.platform === 'linux' && process.getuid?.() === 0;

function inNamespace(ns: string, script: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((ok, ko) => {
    child.once('error', ko);
    child.stdout?.once('data', (d: Buffer) => ok({ child, line: d.toString().trim() }));
  });
}

async function enrichedTable(pid: number): Promise<SocketRecord[]> {
  const signal = new AbortController().signal;
  const collector = await linuxProcfsSocketsCollector.create(testContext({ procfs_path: `/proc/${pid}`, tables: ['tcp', 'udp'] }));
  const { sockets } = await listSockets(collector, signal);
  await enrichRecords(await processEnricher.create(testContext({ procfs_path: '/proc', cache_size: 64 })), sockets, signal);
  await enrichRecords(await containerEnricher.create(containerContext({ procfs_path: '/proc', cache_size: 64 })), sockets, signal);
  await enrichRecords(await directionEnricher.create(testContext({})), sockets, signal);
  return sockets;
}

describe.runIf(canRun)('direction of live sockets between two network namespaces', () => {
  let server: ChildProcess;
  let client: ChildProcess;
  let port = 0;
  let udpPort = 0;
  let clientPort = 0;

  beforeAll(async () => {
    dropNamespaces(); // left over by an interrupted run
    ip('netns', 'add', NS_A);
    ip('netns', 'add', NS_B);
    ip('link', 'add', 'spa0', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'spb0', 'netns', NS_B);
    ip('-n', NS_A, 'addr', 'add', '10.213.7.1/24', 'dev', 'spa0');
    ip('-n', NS_B, 'addr', 'add', '10.213.7.2/24', 'dev', 'spb0');
    for (const [ns, dev] of [[NS_A, 'spa0'], [NS_B, 'spb0']] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    const a = await inNamespace(NS_A, `
      const net = require('node:net'), dgram = require('node:dgram'); const kept = [];
      const s = net.createServer((c) => kept.push(c)).listen(0, '0.0.0.0', () => { const u = dgram.createSocket('udp4');
        u.bind(0, '0.0.0.0', () => console.log(JSON.stringify({ port: s.address().port, udp: u.address().port }))); });
      process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`);
    server = a.child;
    ({ port, udp: udpPort } = JSON.parse(a.line) as { port: number; udp: number });
    const b = await inNamespace(NS_B, `
      const c = require('node:net').connect(${port}, '10.213.7.1', () => { c.on('data', () => {}); console.log(c.localPort); });
      process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`);
    client = b.child;
    clientPort = Number(b.line);
  }, 20_000);

  afterAll(async () => {
    for (const c of [client, server]) {
      if (!c) continue;
      c.stdin?.end();
      await new Promise((ok) => (c.exitCode !== null ? ok(null) : c.once('exit', ok)));
    }
    dropNamespaces();
  });

  it('calls the server side of the connection inbound and its listeners listen', async () => {
    const a = await enrichedTable(server.pid as number);
    expect(a.find((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.local.port === port)?.direction).toBe('listen');
    expect(a.find((s) => s.protocol === 'udp' && s.local.port === udpPort)?.direction).toBe('listen');
    const accepted = a.find((s) => s.state === 'ESTABLISHED' && s.local.port === port && s.remote.port === clientPort);
    expect(accepted).toMatchObject({ local: { address: '10.213.7.1' }, remote: { address: '10.213.7.2' }, process: { pid: server.pid }, direction: 'inbound' });
    expect(accepted?.netns).toBe(a.find((s) => s.state === 'LISTEN' && s.local.port === port)?.netns);
  });

  it('calls the client side outbound', async () => {
    const b = await enrichedTable(client.pid as number);
    const mine = b.find((s) => s.protocol === 'tcp' && s.local.port === clientPort);
    expect(mine).toMatchObject({ state: 'ESTABLISHED', remote: { address: '10.213.7.1', port }, process: { pid: client.pid }, direction: 'outbound' });
  });
});
