import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SocketRecord } from '@sockscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { FD_PERMISSION_NOTICE } from '../../src/enrichers/process.js';
import { fdInode, handleFd, tcpPair } from '../sockets/loopback.js';

// Runs the process enricher as user nobody (uid 65534): it cannot read root's /proc/<pid>/fd,
// must say so once with the capabilities that fix it, and still attribute its own sockets.
const isRoot = process.getuid?.() === 0;

describe.runIf(process.platform === 'linux' && isRoot)('process enricher without permission to read other users’ fds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-procfs-nobody-'));
  chmodSync(dir, 0o755); // nobody must read the bundle
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports EACCES once with CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH and goes on', async () => {
    const bundle = join(dir, 'child.mjs');
    const built = buildSync({
      entryPoints: [new URL('./unprivileged-child.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      conditions: ['source'],
      outfile: bundle,
      logLevel: 'error',
    });
    expect(built.errors).toEqual([]);
    const pair = await tcpPair('127.0.0.1'); // root's socket, in root's fd table
    try {
      const rootSocket: SocketRecord = { protocol: 'tcp', family: 'ipv4', state: 'LISTEN', local: { address: '127.0.0.1', port: pair.port }, remote: { address: '0.0.0.0', port: 0 }, inode: fdInode(handleFd(pair.server)), uid: 0, recvQueue: 0, sendQueue: 0 };
      const run = spawnSync(process.execPath, [bundle, JSON.stringify([rootSocket])], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: dir, timeout: 20_000 });
      expect(run.stderr).toBe('');
      const out = JSON.parse(run.stdout) as { notices: string[]; first: object; owners: (number | null)[]; me: number };
      expect(out.notices).toEqual([FD_PERMISSION_NOTICE]); // two collections, one notice
      expect(FD_PERMISSION_NOTICE).toMatch(/CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH/);
      expect(out.first).toEqual({});
      expect(out.owners).toEqual([null, out.me]); // root's socket has no owner; its own still has
    } finally {
      await pair.close();
    }
  });
});
