import { describe, expect, it } from 'vitest';
import type { Collector, SocketVisitor } from '../contracts/collector.js';
import type { Enricher } from '../contracts/enricher.js';
import { directionEnricher } from '../enrichers/direction.js';
import type { SocketFold } from '../flows/renderer.js';
import type { SocketRecord } from '../types/socket.js';
import { canStream, collectSnapshot } from './run-collectors.js';
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

describe('collectSnapshot, folded as read', () => {
  const rec = (port: number, state: SocketRecord['state'], cookie: bigint): SocketRecord => ({
    protocol: 'tcp', family: 'ipv4', state, cookie, inode: Number(cookie), uid: 0, recvQueue: 0, sendQueue: 0,
    local: { address: '10.0.0.1', port }, remote: state === 'LISTEN' ? { address: '0.0.0.0', port: 0 } : { address: '10.0.0.2', port: 50000 + Number(cookie) },
  });
  /** A fold that writes down what reached it, and when. */
  const recordingFold = (log: string[]): SocketFold => ({
    begin: (t) => void log.push(`begin ${t > 0}`),
    add: (s) => void log.push(`add ${s.state} ${s.local.port} ${s.direction ?? '-'} ${s.process?.comm ?? '-'}`),
    end: () => [{ name: 'folded', help: 'h', type: 'gauge', samples: [{ labels: {}, value: log.length }] }],
  });

  it('prepares enrichers first, streams every record through them into the fold, and keeps no records', async () => {
    const log: string[] = [];
    let late: SocketVisitor | undefined;
    const streaming: Collector = {
      collect: async () => ({ warnings: ['collect() should not be called when the collector streams'] }),
      stream: async (_signal, visit) => {
        log.push('stream');
        visit(rec(80, 'LISTEN', 1n));
        visit(rec(80, 'ESTABLISHED', 2n));
        late = visit;
        return { warnings: ['w'] };
      },
      close: async () => {},
    };
    // a collector that cannot stream: its records are folded after, its listener first
    const whole: Collector = { collect: async () => ({ sockets: [rec(443, 'ESTABLISHED', 3n), rec(443, 'LISTEN', 4n)] }), close: async () => {} };
    const owner: Enricher = {
      enrich: async () => ({ warnings: ['enrich() should not be called when streaming'] }),
      prepare: async () => {
        log.push('prepare');
        return { enrich: (s) => void (s.process = { pid: 1, comm: 'nginx' }), finish: () => ({ warnings: ['seen'] }) };
      },
      close: async () => {},
    };
    const snap = await collectSnapshot(
      [{ name: 'nl', collector: streaming, timeoutMs: 1000 }, { name: 'whole', collector: whole, timeoutMs: 1000 }],
      [{ name: 'process', enricher: owner, timeoutMs: 1000 }, { name: 'direction', enricher: directionEnricher.create({ config: {}, logger: console, platform: 'linux', reportOnce: () => {} }) as Enricher, timeoutMs: 1000 }],
      { fold: recordingFold(log) },
    );
    late?.(rec(1, 'ESTABLISHED', 9n)); // after the collection: dropped
    expect(log).toEqual([
      'prepare', 'begin true', 'stream',
      'add LISTEN 80 listen nginx', 'add ESTABLISHED 80 inbound nginx',
      'add LISTEN 443 listen nginx', 'add ESTABLISHED 443 inbound nginx',
    ]);
    expect(snap.sockets).toEqual([]);
    expect(snap.folded).toEqual({ socketCount: 4, families: [{ name: 'folded', help: 'h', type: 'gauge', samples: [{ labels: {}, value: 7 }] }] });
    expect(snap.status.map((s) => [s.name, s.success, s.warnings])).toEqual([
      ['nl', true, ['w']], ['whole', true, undefined], ['enricher:process', true, ['seen']], ['enricher:direction', true, undefined],
    ]);
    const rendered = await createPipeline({ collect: async () => snap, render: (s) => [...(s.folded?.families ?? [])], minIntervalMs: 0 }).collect();
    expect(rendered.socketCount).toBe(4);
    expect(rendered.snapshot).not.toHaveProperty('folded');
  });

  it('reports an enricher that cannot prepare or that throws on some records, and folds the rest', async () => {
    const log: string[] = [];
    const streaming: Collector = {
      collect: async () => ({}),
      stream: async (_signal, visit) => {
        for (const c of [1n, 2n, 3n]) visit(rec(1000 + Number(c), 'ESTABLISHED', c));
        return {};
      },
      close: async () => {},
    };
    const picky: Enricher = {
      enrich: async () => ({}),
      prepare: async () => ({
        enrich: (s) => {
          if (s.cookie !== 2n) throw new Error(`cannot read /proc for ${s.cookie}`);
        },
        finish: () => ({}),
      }),
      close: async () => {},
    };
    const old: Enricher = { enrich: async () => ({}), close: async () => {} };
    const slow: Enricher = { enrich: async () => ({}), prepare: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))), close: async () => {} };
    const snap = await collectSnapshot(
      [{ name: 'nl', collector: streaming, timeoutMs: 1000 }],
      [{ name: 'picky', enricher: picky, timeoutMs: 1000 }, { name: 'old', enricher: old, timeoutMs: 1000 }, { name: 'slow', enricher: slow, timeoutMs: 20 }],
      { fold: recordingFold(log) },
    );
    expect(snap.folded?.socketCount).toBe(3);
    expect(log.filter((l) => l.startsWith('add'))).toHaveLength(3);
    expect(snap.status.map((s) => [s.name, s.success, s.error ?? s.warnings])).toEqual([
      ['nl', true, undefined],
      ['enricher:picky', true, ['2 record(s) could not be enriched: cannot read /proc for 1']],
      ['enricher:old', false, 'has no streaming form (prepare); the collection cannot be folded as it is read'],
      ['enricher:slow', false, 'enricher slow timed out after 20 ms'],
    ]);
    expect(canStream([{ name: 'old', enricher: old, timeoutMs: 1 }])).toBe(false);
    expect(canStream([{ name: 'picky', enricher: picky, timeoutMs: 1 }])).toBe(true);
  });
});
