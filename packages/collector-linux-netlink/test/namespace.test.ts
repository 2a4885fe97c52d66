import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSockets } from '@sockscope/core';
import { linuxNetlinkCollector, type NetlinkCollectorConfig } from '../src/index.js';
import { netlinkContext } from './context.js';

// A namespace of our own (`ip netns add`), a listener and a connection opened inside it by a
// child process, read from here through a netlink socket created inside it with setns.
const NS = 'sockscope-nl-test';
const PORT = 45001;
let child: ChildProcess | undefined;
let inside: { listener: number; client: number; accepted: number; clientPort: number };
let nsInode = 0;

// Runs inside the namespace: opens the sockets, prints their inodes, waits for stdin to close.
const CHILD = `
const net = require('net'), fs = require('fs');
process.noDeprecation = true;
const ino = (s) => Number(/\\d+/.exec(fs.readlinkSync('/proc/self/fd/' + s._handle.fd))[0]);
const server = net.createServer((a) => {
  console.log(JSON.stringify({ listener: ino(server), client: ino(client), accepted: ino(a), clientPort: client.localPort }));
});
let client;
server.listen(${PORT}, '127.0.0.1', () => { client = net.connect(${PORT}, '127.0.0.1'); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' });
}

beforeAll(async () => {
  try {
    ip('netns', 'delete', NS); // left over from an interrupted run
  } catch {
    // none: the usual case
  }
  ip('netns', 'add', NS);
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  nsInode = statSync(`/run/netns/${NS}`).ino;
  child = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  inside = JSON.parse(line.toString());
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.stdin?.end();
    await once(child, 'exit');
  }
  ip('netns', 'delete', NS);
});

async function collect(config: Partial<NetlinkCollectorConfig>) {
  const ctx = netlinkContext(config);
  const c = await linuxNetlinkCollector.create(ctx);
  try {
    return { result: await listSockets(c), notices: ctx.notices };
  } finally {
    await c.close();
  }
}

describe('network namespaces', () => {
  it('dumps a named namespace: its sockets carry the namespace inode and name, and nothing from ours', async () => {
    const { result } = await collect({ namespaces: [NS] });
    expect(result.warnings).toBeUndefined();
    const sockets = result.sockets;
    expect(sockets.every((s) => s.netns === nsInode && s.netnsName === NS)).toBe(true);
    // A fresh namespace holds only what the child opened.
    expect(sockets.map((s) => s.inode).sort()).toEqual([inside.listener, inside.client, inside.accepted].sort());
    const listener = sockets.find((s) => s.inode === inside.listener);
    expect(listener).toMatchObject({ state: 'LISTEN', local: { address: '127.0.0.1', port: PORT } });
    const client = sockets.find((s) => s.inode === inside.client);
    expect(client).toMatchObject({ state: 'ESTABLISHED', local: { port: inside.clientPort }, remote: { port: PORT } });
    expect(client?.tcp?.rttUs).toBeGreaterThan(0);
  });

  it('with `all`, finds the namespace through /proc (once, despite ip netns exec and /run/netns) beside our own', async () => {
    const { result } = await collect({ namespaces: 'all', protocols: ['tcp'] });
    const own = statSync('/proc/self/ns/net').ino;
    const inNs = result.sockets.filter((s) => s.netns === nsInode);
    expect(inNs.map((s) => s.inode).sort()).toEqual([inside.listener, inside.client, inside.accepted].sort());
    expect(inNs.every((s) => s.netnsName === NS)).toBe(true);
    expect(result.sockets.some((s) => s.netns === own)).toBe(true);
  });

  it('reports a namespace name that does not exist, and collects the others', async () => {
    const { result } = await collect({ namespaces: ['sockscope-nl-missing', NS] });
    expect(result.warnings).toEqual([
      { code: 'ERR_NETLINK_NAMESPACE', message: 'namespace sockscope-nl-missing not found under /run/netns (create it with ip netns add, or fix the name)' },
    ]);
    expect(result.sockets.some((s) => s.inode === inside.listener)).toBe(true);
  });

  it('leaves the main thread in its own namespace after entering another', async () => {
    const before = statSync('/proc/thread-self/ns/net').ino;
    await collect({ namespaces: [NS] });
    expect(statSync('/proc/thread-self/ns/net').ino).toBe(before);
  });
});
