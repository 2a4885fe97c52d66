import { listSockets } from '@sockscope/core';
import { describeCollectorConformance } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { linuxNetlinkCollector } from '../src/index.js';
import { netlinkContext } from './context.js';
import { inodeOf, openPair } from './loopback.js';

// The shared suite (packages/test-utils/src/collector-suite.ts) checks, for every collector: the
// registry accepts it; every record it streams is well formed; each socket is streamed once and
// every listening socket before any other; close() twice is safe; bad input is a coded warning,
// never a throw. The test below shows the same promises on this collector's own sockets.
describeCollectorConformance({
  definition: linuxNetlinkCollector,
  config: {},
  live: process.platform === 'linux',
  // A namespace name that does not exist: reported as a warning, the rest still collected.
  brokenConfig: { namespaces: ['sockscope-nl-does-not-exist'] },
});

describe.runIf(process.platform === 'linux')('linux-netlink on a live loopback connection', () => {
  it('streams the listener before the connection it accepted, each once, with tcp_info', async () => {
    const pair = await openPair('127.0.0.1', 4096);
    const collector = await linuxNetlinkCollector.create(netlinkContext({ protocols: ['tcp'] }));
    try {
      const { sockets, warnings } = await listSockets(collector);
      expect(warnings ?? []).toEqual([]);
      const at = (inode: number) => sockets.findIndex((s) => s.inode === inode);
      const listener = at(inodeOf(pair.server));
      const accepted = at(inodeOf(pair.accepted));
      expect(listener).toBeGreaterThanOrEqual(0);
      expect(accepted).toBeGreaterThan(listener);
      expect(sockets.filter((s) => s.inode === inodeOf(pair.accepted))).toHaveLength(1);
      expect(sockets[listener]?.state).toBe('LISTEN');
      expect(sockets[accepted]?.tcp?.bytesReceived).toBe(4096n);
    } finally {
      await collector.close();
      await pair.close();
    }
  });
});
