import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCollectorConformance } from '@sockscope/test-utils';
import { compileConfigSchema, createPluginContext, isListening, listSockets, type SocketRecord } from '@sockscope/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinuxProcfsSocketsConfig } from '../../src/config.js';
import { linuxProcfsSocketsCollector } from '../../src/plugins/linux-procfs-sockets.js';
import { fdInode, handleFd, ownSocketInodes, tcpPair, udpPair, type TcpPair } from './loopback.js';

const malformedTree = new URL('../fixtures/sockets/malformed', import.meta.url).pathname;
const config: LinuxProcfsSocketsConfig = { procfs_path: '/proc', tables: ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix'] };

describeCollectorConformance({
  definition: linuxProcfsSocketsCollector,
  config,
  live: process.platform === 'linux',
  brokenConfig: { procfs_path: malformedTree, tables: ['tcp', 'tcp6', 'udp', 'udp6', 'unix'] },
});

const context = (cfg: Partial<LinuxProcfsSocketsConfig>) => createPluginContext(linuxProcfsSocketsCollector, cfg);
const collect = async (cfg: LinuxProcfsSocketsConfig = config) => {
  const c = await linuxProcfsSocketsCollector.create(context(cfg));
  try {
    return await listSockets(c);
  } finally {
    await c.close();
  }
};

describe('linux-procfs-sockets config', () => {
  it('defaults to the four inet tables under /proc', () => {
    const value: Record<string, unknown> = {};
    expect(compileConfigSchema(linuxProcfsSocketsCollector.configSchema)(value)).toEqual([]);
    expect(value).toEqual({ procfs_path: '/proc', tables: ['tcp', 'tcp6', 'udp', 'udp6'] });
  });

  it('names an unknown table', () => {
    const errors = compileConfigSchema(linuxProcfsSocketsCollector.configSchema)({ tables: ['tcp', 'sctp'] });
    expect(errors).toEqual([expect.stringContaining('tables[1]: must be one of')]);
  });

  it('refuses to start without procfs, saying which path', async () => {
    await expect(Promise.resolve().then(() => linuxProcfsSocketsCollector.create(context({ procfs_path: '/nonexistent-procfs', tables: ['tcp'] })))).rejects.toMatchObject({
      code: 'ERR_COLLECTOR_UNAVAILABLE',
      message: expect.stringContaining('/nonexistent-procfs/net'),
    });
  });
});

/** Runs one collection and returns the records in the order they were visited. */
const visited = async (cfg: LinuxProcfsSocketsConfig = config) => {
  const c = await linuxProcfsSocketsCollector.create(context(cfg));
  try {
    const order: SocketRecord[] = [];
    const result = await c.stream(new AbortController().signal, (s) => void order.push(s));
    return { order, result };
  } finally {
    await c.close();
  }
};

/** Index of the first record that is not listening, and how many listeners come after it. */
const listenersAfterOthers = (order: readonly SocketRecord[]) => {
  const firstOther = order.findIndex((s) => !isListening(s));
  return firstOther < 0 ? 0 : order.slice(firstOther).filter(isListening).length;
};

describe('linux-procfs-sockets streaming order', () => {
  it('visits the listeners of every table (tcp, tcp6, udp, unix) before any other socket of any table', async () => {
    const { order } = await visited({ procfs_path: malformedTree, tables: ['tcp', 'tcp6', 'udp', 'udp6', 'unix'] });
    expect(order.length).toBe(10 + 5 + 4 + 1 + 10);
    // the tree has listeners in every table and established sockets in tcp: table by table, udp's would come late
    expect(new Set(order.filter(isListening).map((s) => s.protocol))).toEqual(new Set(['tcp', 'udp', 'unix']));
    expect(order.findIndex((s) => !isListening(s))).toBeGreaterThan(0);
    expect(listenersAfterOthers(order)).toBe(0);
  });

  it('visits a socket listed twice (moved between hash chains mid-read) once, and says the read was inconsistent', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-sockets-'));
    try {
      mkdirSync(join(root, 'net'));
      const lines = readFileSync(new URL('../fixtures/sockets/live/tcp', import.meta.url), 'utf8').trimEnd().split('\n');
      const listener = lines.find((l) => / 0A /.test(l)) as string;
      const established = lines.find((l) => / 01 /.test(l)) as string;
      writeFileSync(join(root, 'net', 'tcp'), [...lines, listener, established].join('\n') + '\n');
      const { order, result } = await visited({ procfs_path: root, tables: ['tcp'] });
      expect(order).toHaveLength(lines.length - 1);
      const inodes = order.map((s) => s.inode).filter((i) => i !== 0);
      expect(new Set(inodes).size).toBe(inodes.length);
      expect(result.inconsistent).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('linux-procfs-sockets on a malformed tree', () => {
  it('publishes the good lines and warns with file and line for each bad one', async () => {
    const r = await collect({ procfs_path: malformedTree, tables: ['tcp', 'tcp6', 'udp', 'unix'] });
    expect(r.sockets.length).toBe(10 + 5 + 4 + 10);
    expect(r.warnings).toContainEqual({ code: 'ERR_PROCFS_MALFORMED', message: `${malformedTree}/net/tcp:14: inode is not a decimal in range; line skipped` });
    expect(r.warnings).toContainEqual({ code: 'ERR_PROCFS_MALFORMED', message: `${malformedTree}/net/tcp6:7: remote address is not kernel hex; line skipped` });
    expect(r.warnings?.filter((w) => w.message.startsWith(`${malformedTree}/net/tcp:`))).toHaveLength(5);
  });

  it('gives up when the collection is aborted', async () => {
    const c = await linuxProcfsSocketsCollector.create(context(config));
    await expect(c.stream(AbortSignal.abort(new Error('timed out')), () => {})).rejects.toThrow('timed out');
    await c.close();
  });

  it('skips a table the kernel does not have without a warning', async () => {
    const r = await collect({ procfs_path: malformedTree, tables: ['raw6', 'udp6'] });
    expect(r.warnings).toBeUndefined();
    expect(r.sockets.map((s) => s.local.port)).toEqual([47013]);
  });
});

describe.runIf(process.platform === 'linux')('linux-procfs-sockets on live loopback sockets', () => {
  let v4: TcpPair;
  let v6: TcpPair;
  let dual: TcpPair;
  let udp4: Awaited<ReturnType<typeof udpPair>>;
  let udp6: Awaited<ReturnType<typeof udpPair>>;
  beforeAll(async () => {
    [v4, v6, dual, udp4, udp6] = await Promise.all([tcpPair('127.0.0.1'), tcpPair('::1'), tcpPair('::'), udpPair('udp4'), udpPair('udp6')]);
  });
  afterAll(async () => {
    await Promise.all([v4.close(), v6.close(), dual.close()]);
    udp4.close();
    udp6.close();
  });

  it('finds our TCP listeners and both ends of each connection with the inodes /proc/self/fd shows', async () => {
    const { sockets } = await collect();
    for (const [pair, family, address] of [[v4, 'ipv4', '127.0.0.1'], [v6, 'ipv6', '::1']] as const) {
      const listener = sockets.find((s) => s.protocol === 'tcp' && s.state === 'LISTEN' && s.local.port === pair.port);
      expect(listener).toMatchObject({ family, local: { address, port: pair.port }, inode: fdInode(handleFd(pair.server)), uid: 0 });
      const client = sockets.find((s) => s.inode === fdInode(handleFd(pair.client)));
      expect(client).toMatchObject({ state: 'ESTABLISHED', family, remote: { address, port: pair.port }, local: { port: pair.client.localPort } });
      const accepted = sockets.find((s) => s.inode === fdInode(handleFd(pair.accepted)));
      expect(accepted).toMatchObject({ state: 'ESTABLISHED', local: { port: pair.port }, remote: { port: pair.client.localPort } });
    }
  });

  it('shows an IPv4 client of a dual-stack listener as a v4-mapped IPv6 socket', async () => {
    const { sockets } = await collect();
    expect(sockets.find((s) => s.state === 'LISTEN' && s.local.port === dual.port)?.local.address).toBe('::');
    const accepted = sockets.find((s) => s.inode === fdInode(handleFd(dual.accepted)));
    expect(accepted).toMatchObject({ family: 'ipv6', local: { address: '::ffff:127.0.0.1', port: dual.port }, remote: { address: '::ffff:127.0.0.1' } });
    expect(sockets.find((s) => s.inode === fdInode(handleFd(dual.client)))).toMatchObject({ family: 'ipv4', remote: { address: '127.0.0.1', port: dual.port } });
  });

  it('visits every live listener, ours included, before any other socket, each socket once', async () => {
    const { order } = await visited();
    expect(listenersAfterOthers(order)).toBe(0);
    const inodes = order.map((s) => s.inode).filter((i) => i !== 0);
    expect(new Set(inodes).size).toBe(inodes.length);
    const at = (inode: number) => order.findIndex((s) => s.inode === inode);
    const ourListeners = [v4, v6, dual].map((p) => at(fdInode(handleFd(p.server))));
    const ourConnections = [v4, v6, dual].flatMap((p) => [at(fdInode(handleFd(p.client))), at(fdInode(handleFd(p.accepted)))]);
    expect([...ourListeners, ...ourConnections].every((i) => i >= 0)).toBe(true);
    expect(Math.max(...ourListeners)).toBeLessThan(Math.min(...ourConnections));
  });

  it('finds our UDP sockets, bound (CLOSE) and connected (ESTABLISHED)', async () => {
    const { sockets } = await collect();
    const mine = ownSocketInodes();
    for (const [pair, address] of [[udp4, '127.0.0.1'], [udp6, '::1']] as const) {
      const bound = sockets.find((s) => s.protocol === 'udp' && s.local.port === pair.port && s.state === 'CLOSE');
      expect(bound).toMatchObject({ local: { address }, remote: { port: 0 } });
      expect(mine.has(bound?.inode ?? -1)).toBe(true);
      const connected = sockets.find((s) => s.protocol === 'udp' && s.remote.port === pair.port && s.remote.address === address);
      expect(connected?.state).toBe('ESTABLISHED');
      expect(mine.has(connected?.inode ?? -1)).toBe(true);
    }
  });
});
