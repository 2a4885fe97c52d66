import type { SocketRecord } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { countLoopTurns } from '@sockscope/test-utils';
import { linuxNetlinkCollector } from '../src/index.js';
import { netlinkContext } from './context.js';
import { exchange } from './destroy-events.js';

// Under churn thousands of sockets close between two collections, and each closed record goes
// through the enrichers and folds as it is visited. Visited in one loop they kept the agent from
// answering for up to 53 ms in the lifecycle soak (2,000 connections/s); the collector now yields
// between slices as its dump does. Here each closed record costs the visitor 0.2 ms: the event
// loop must turn while the closed records of one collection are handed over.

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('linux-netlink collector: closed records and the event loop', { timeout: 60_000 }, () => {
  it('yields to the event loop while it hands over the closed records of a collection', async () => {
    const c = await linuxNetlinkCollector.create(netlinkContext({ protocols: ['tcp'], families: ['ipv4'] }));
    try {
      await c.stream(new AbortController().signal, () => {});
      const { exchanges } = await exchange('127.0.0.1', Array.from({ length: 200 }, () => ({ up: 100, down: 10 })));
      expect(exchanges).toHaveLength(200);
      // the reader thread batches for a few ms: let every event arrive before the one collection
      await new Promise((r) => setTimeout(r, 500));

      const turns = countLoopTurns();
      let atFirst: number | undefined;
      let atLast = 0;
      let closed = 0;
      await c.stream(new AbortController().signal, (r: SocketRecord) => {
        if (r.closedAt === undefined) return;
        atFirst ??= turns.count();
        closed++;
        spin(0.2);
        atLast = turns.count();
      });
      turns.stop();
      expect(closed).toBeGreaterThanOrEqual(400); // both ends of each connection
      // ≥ 80 ms of visiting in 4 ms slices: the loop turned many times in between
      expect(atLast - (atFirst ?? 0)).toBeGreaterThan(5);
    } finally {
      await c.close();
    }
  });
});
