import { describe, expect, it } from 'vitest';
import type { Collector } from '../contracts/collector.js';
import { collectSnapshot } from './run-collectors.js';
import { createPipeline } from './pipeline.js';

const ok = (value: number): Collector => ({
  collect: async () => ({ families: [{ name: 'x', help: 'x', type: 'gauge', samples: [{ labels: {}, value }] }], host: { protocols: { Tcp: { InSegs: value } } } }),
  close: async () => {},
});

describe('collectSnapshot', () => {
  it('isolates a throwing and a slow collector and keeps the rest', async () => {
    let aborted = false;
    const slow: Collector = {
      collect: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({});
          });
        }),
      close: async () => {},
    };
    const throwing: Collector = {
      collect: () => {
        throw new Error('boom');
      },
      close: async () => {},
    };
    const snap = await collectSnapshot([
      { name: 'good', collector: ok(3), timeoutMs: 1000 },
      { name: 'slow', collector: slow, timeoutMs: 30 },
      { name: 'bad', collector: throwing, timeoutMs: 1000 },
    ]);
    expect(snap.status.map((s) => [s.name, s.success])).toEqual([
      ['good', true],
      ['slow', false],
      ['bad', false],
    ]);
    expect(snap.status[1]?.error).toMatch(/collector slow timed out after 30 ms/);
    expect(snap.status[2]?.error).toBe('boom');
    expect(aborted).toBe(true);
    expect(snap.families).toHaveLength(1);
    expect(snap.host.protocols?.Tcp?.InSegs).toBe(3);
  });

  it('merges host counters of several collectors and reports enricher failures', async () => {
    const snap = await collectSnapshot(
      [
        { name: 'a', collector: ok(1), timeoutMs: 1000 },
        { name: 'b', collector: { collect: async () => ({ host: { protocols: { Udp: { InDatagrams: 5 } } }, warnings: ['w'] }), close: async () => {} }, timeoutMs: 1000 },
      ],
      [{ name: 'e', enricher: { enrich: async () => Promise.reject(new Error('no perms')), close: async () => {} }, timeoutMs: 1000 }],
    );
    expect(snap.host.protocols).toEqual({ Tcp: { InSegs: 1 }, Udp: { InDatagrams: 5 } });
    expect(snap.status.find((s) => s.name === 'b')?.warnings).toEqual(['w']);
    expect(snap.status.find((s) => s.name === 'enricher:e')).toMatchObject({ success: false, error: 'no perms' });
  });
});

describe('createPipeline', () => {
  it('shares one in-flight collection between concurrent callers and caches within the minimum interval', async () => {
    let calls = 0;
    let now = 0;
    const pipeline = createPipeline({
      collect: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        return collectSnapshot([{ name: 'a', collector: ok(calls), timeoutMs: 1000 }]);
      },
      render: (s) => [...s.families],
      minIntervalMs: 1000,
      now: () => now,
    });
    const [a, b, c] = await Promise.all([pipeline.collect(), pipeline.collect(), pipeline.collect()]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    now = 999;
    expect(await pipeline.collect()).toBe(a);
    now = 1000;
    const d = await pipeline.collect();
    expect(calls).toBe(2);
    expect(d).not.toBe(a);
    expect(pipeline.latest()).toBe(d);
  });

  it('lets the next caller retry after a failed collection', async () => {
    let fail = true;
    const pipeline = createPipeline({
      collect: async () => {
        if (fail) throw new Error('down');
        return collectSnapshot([]);
      },
      render: () => [],
      minIntervalMs: 0,
    });
    await expect(pipeline.collect()).rejects.toThrow('down');
    fail = false;
    await expect(pipeline.collect()).resolves.toHaveProperty('snapshot');
  });
});
