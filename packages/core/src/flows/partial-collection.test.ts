import { describe, expect, it } from 'vitest';
import type { Collector } from '../contracts/collector.js';
import type { Fold } from '../contracts/fold.js';
import { UnseenCutoff } from '../enrichers/direction.js';
import { collect, type NamedCollector } from '../pipeline/collect.js';
import { foldRecords } from '../pipeline/list.js';
import { createPipeline } from '../pipeline/pipeline.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createMetricFold } from './metric-fold.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

// Issue 15: a collector that times out half-way inflated every counter afterwards. The fold
// forgot every socket a partial collection did not see, so the next collection that saw them
// counted their whole lifetime again (9,000,000 bytes received became 32,296,000 in 30 scrapes).

const PORT = 8443;
/** `n` idle connections accepted on PORT, each having received exactly 1,000 bytes. */
const idle = (n: number): SocketRecord[] =>
  Array.from({ length: n }, (_, i) =>
    tcpSocket({ cookie: BigInt(i + 1), inode: 10_000 + i, local: { address: '10.0.0.1', port: PORT }, remote: { address: '10.0.0.9', port: 40_000 + i }, tcp: { bytesReceived: 1000n } }),
  );
const received = (out: readonly MetricFamily[]): number =>
  (out.find((f) => f.name === 'sockscope_tcp_bytes_received_total')?.samples ?? []).filter((s) => s.labels.local_port === String(PORT)).reduce((n, s) => n + s.value, 0);

describe('a collector that times out half-way inflates every counter afterwards', () => {
  it('the metric fold: a partial collection then a full one leaves the totals unchanged', () => {
    const fold = createMetricFold();
    const sockets = [listener(PORT), ...idle(100)];
    expect(received(foldRecords(fold, T0, sockets))).toBe(100_000);
    // the collector timed out after the listener and 40 connections
    expect(received(foldRecords(fold, T0 + 1000, sockets.slice(0, 41), false))).toBe(100_000);
    expect(received(foldRecords(fold, T0 + 2000, sockets.slice(0, 11), false))).toBe(100_000);
    // a complete collection sees all of them again, none grew
    expect(received(foldRecords(fold, T0 + 3000, sockets))).toBe(100_000);
    expect(received(foldRecords(fold, T0 + 4000, sockets))).toBe(100_000);
  });

  it('a complete collection still forgets a socket it did not see (a reused key counts whole)', () => {
    const fold = createMetricFold();
    const sockets = [listener(PORT), ...idle(10)];
    expect(received(foldRecords(fold, T0, sockets))).toBe(10_000);
    expect(received(foldRecords(fold, T0 + 1000, sockets.slice(0, 6)))).toBe(10_000); // 5 gone
    // cookies 6..10 again: new sockets to the fold, their 1,000 bytes each are new
    expect(received(foldRecords(fold, T0 + 2000, sockets))).toBe(15_000);
  });

  it('after partial collections only, a socket no collection saw for the retention time is forgotten', () => {
    const fold = createMetricFold({}, { retentionMs: 60_000 });
    const sockets = [listener(PORT), ...idle(10)];
    expect(received(foldRecords(fold, T0, sockets))).toBe(10_000);
    // the dump keeps stopping after the listener and 5 connections
    for (let t = 10_000; t <= 50_000; t += 10_000) expect(received(foldRecords(fold, T0 + t, sockets.slice(0, 6), false))).toBe(10_000);
    expect(received(foldRecords(fold, T0 + 59_000, sockets))).toBe(10_000); // 59 s: still remembered
    for (let t = 70_000; t <= 120_000; t += 10_000) foldRecords(fold, T0 + t, sockets.slice(0, 6), false);
    // 61 s without a sighting: cookies 6..10 were taken for gone, and count whole when seen again
    // (the series kept its total: 15,000 is their lifetime counted a second time, the bound's price)
    expect(received(foldRecords(fold, T0 + 130_000, sockets))).toBe(15_000);
  });

  it('collect() ends the folds with complete false when a collector that may read sockets timed out or was inconsistent', async () => {
    const seen: boolean[] = [];
    const fold: Fold<null> = { begin: () => {}, add: () => {}, end: (complete) => (seen.push(complete), null) };
    const halfThenHang: Collector = {
      stream: (signal, visit) => {
        for (const s of idle(5)) visit(s);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve({})));
      },
      close: async () => {},
    };
    const fine: Collector = { stream: async (_signal, visit) => (idle(5).forEach(visit), {}), close: async () => {} };
    const failing: Collector = { stream: async () => Promise.reject(new Error('no /proc')), close: async () => {} };
    const inconsistent: Collector = { stream: async () => ({ inconsistent: true }), close: async () => {} };
    const run = (collectors: NamedCollector[]) => collect(collectors, [], { fold });
    await run([{ name: 'sockets', collector: fine, timeoutMs: 1000 }]);
    await run([{ name: 'sockets', collector: halfThenHang, timeoutMs: 30, provides: ['sockets'] }]);
    await run([{ name: 'sockets', collector: fine, timeoutMs: 1000 }, { name: 'host', collector: failing, timeoutMs: 1000, provides: ['host'] }]);
    await run([{ name: 'sockets', collector: fine, timeoutMs: 1000 }, { name: 'plugin', collector: failing, timeoutMs: 1000 }]); // provides unknown
    await run([{ name: 'sockets', collector: inconsistent, timeoutMs: 1000 }]);
    expect(seen).toEqual([true, false, true, false, false]);
  });

  it('collect() through the metric fold: a socket collector timing out half-way every other time keeps the totals', async () => {
    const fold = createMetricFold();
    const sockets = [listener(PORT), ...idle(50)];
    let n = 0;
    const collector: Collector = {
      stream: (signal, visit) => {
        const partial = n++ % 2 === 1;
        for (const s of partial ? sockets.slice(0, 6 + (n % 7) * 5) : sockets) visit(s);
        return partial ? new Promise((resolve) => signal.addEventListener('abort', () => resolve({}))) : Promise.resolve({});
      },
      close: async () => {},
    };
    for (let i = 0; i < 10; i++) {
      const c = await collect([{ name: 'linux-netlink', collector, timeoutMs: 20, provides: ['sockets'] }], [], { metrics: fold });
      expect(c.status[0]?.success).toBe(i % 2 === 0);
      expect(received(c.folds.metrics)).toBe(50_000);
    }
  });

  it('a collect[] collection that leaves out a collector that may read sockets is partial', async () => {
    const fold = createMetricFold();
    const sockets = [listener(PORT), ...idle(10)];
    const one = (records: SocketRecord[]): Collector => ({ stream: async (_signal, visit) => (records.forEach(visit), {}), close: async () => {} });
    const pipeline = createPipeline({
      collectors: [
        { name: 'a', collector: one(sockets.slice(0, 6)), timeoutMs: 1000, provides: ['sockets'] },
        { name: 'b', collector: one(sockets.slice(6)), timeoutMs: 1000, provides: ['sockets'] },
      ],
      enrichers: [],
      metrics: fold,
      minIntervalMs: 0,
    });
    const total = async (collectors?: string[]) => received((await pipeline.collect(collectors ? { collectors } : undefined)).families);
    expect(await total()).toBe(10_000);
    expect(await total(['a'])).toBe(10_000); // b's sockets were not read, not gone
    expect(await total()).toBe(10_000);
  });
});

describe('UnseenCutoff', () => {
  it('forgets what a complete collection missed, and after partial ones only what none saw for the retention time', () => {
    const c = new UnseenCutoff(1000);
    expect(c.end(1, 0, true)).toBe(1);
    expect(c.end(2, 400, false)).toBeUndefined();
    expect(c.end(3, 900, false)).toBeUndefined();
    expect(c.end(4, 1000, false)).toBe(2); // collection 1 (t=0) is 1000 ms old: seen last in it means gone
    expect(c.end(5, 1950, false)).toBe(4);
    expect(c.end(6, 2000, true)).toBe(6);
  });
});
