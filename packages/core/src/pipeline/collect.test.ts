import { describe, expect, it } from 'vitest';
import type { Collector, SocketVisitor } from '../contracts/collector.js';
import { createPluginContext } from '../contracts/context.js';
import type { Enricher } from '../contracts/enricher.js';
import type { Fold } from '../contracts/fold.js';
import { directionEnricher } from '../plugins/direction.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { collect } from './collect.js';
import { enrichRecords, foldRecords, listSockets } from './list.js';
import { createPipeline, createSelfMetrics } from './pipeline.js';

const family = (name: string, value: number): MetricFamily => ({ name, help: name, type: 'gauge', samples: [{ labels: {}, value }] });
const ok = (value: number): Collector => ({
  stream: async () => ({ families: [family('x', value)], host: { protocols: { Tcp: { InSegs: value } } } }),
  close: async () => {},
});
const rec = (port: number, state: SocketRecord['state'], cookie: bigint): SocketRecord => ({
  protocol: 'tcp', family: 'ipv4', state, cookie, inode: Number(cookie), uid: 0, recvQueue: 0, sendQueue: 0,
  local: { address: '10.0.0.1', port }, remote: state === 'LISTEN' ? { address: '0.0.0.0', port: 0 } : { address: '10.0.0.2', port: 50000 + Number(cookie) },
});
/** A fold that writes down what reached it, and when. */
const recordingFold = (log: string[]): Fold<MetricFamily[]> => ({
  begin: (t) => void log.push(`begin ${t > 0}`),
  add: (s) => void log.push(`add ${s.state} ${s.local.port} ${s.direction ?? '-'} ${s.process?.comm ?? '-'}`),
  end: () => [family('folded', log.length)],
});
const direction = () => directionEnricher.create(createPluginContext(directionEnricher)) as Enricher;

describe('collect', () => {
  it('isolates a throwing and a slow collector and keeps the rest', async () => {
    let aborted = false;
    const slow: Collector = {
      stream: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({});
          });
        }),
      close: async () => {},
    };
    const throwing: Collector = {
      stream: () => {
        throw new Error('boom');
      },
      close: async () => {},
    };
    const snap = await collect([
      { name: 'good', collector: ok(3), timeoutMs: 1000 },
      { name: 'slow', collector: slow, timeoutMs: 30 },
      { name: 'bad', collector: throwing, timeoutMs: 1000 },
    ], [], {});
    expect(snap.status.map((s) => [s.name, s.success])).toEqual([
      ['good', true],
      ['slow', false],
      ['bad', false],
    ]);
    expect(snap.status[1]?.error).toMatch(/collector slow timed out after 30 ms/);
    expect(snap.status[1]?.errorCode).toBe('ERR_COLLECTOR_TIMEOUT');
    expect(snap.status[2]?.error).toBe('boom');
    expect(aborted).toBe(true);
    expect(snap.families).toHaveLength(1);
    expect(snap.host.protocols?.Tcp?.InSegs).toBe(3);
  });

  it('merges host counters of several collectors and reports enricher failures', async () => {
    const snap = await collect(
      [
        { name: 'a', collector: ok(1), timeoutMs: 1000 },
        { name: 'b', collector: { stream: async () => ({ host: { protocols: { Udp: { InDatagrams: 5 } } }, warnings: [{ code: 'ERR_B', message: 'w' }] }), close: async () => {} }, timeoutMs: 1000 },
      ],
      [{ name: 'e', enricher: { prepare: async () => Promise.reject(new Error('no perms')), close: async () => {} }, timeoutMs: 1000 }],
      {},
    );
    expect(snap.host.protocols).toEqual({ Tcp: { InSegs: 1 }, Udp: { InDatagrams: 5 } });
    expect(snap.status.find((s) => s.name === 'b')?.warnings).toEqual([{ code: 'ERR_B', message: 'w' }]);
    expect(snap.status.find((s) => s.name === 'enricher:e')).toMatchObject({ success: false, error: 'no perms' });
  });

  it('prepares enrichers first, streams every record through them into every fold, and keeps no records', async () => {
    const log: string[] = [];
    const second: string[] = [];
    let late: SocketVisitor | undefined;
    const streaming: Collector = {
      stream: async (_signal, visit) => {
        log.push('stream');
        visit(rec(80, 'LISTEN', 1n));
        visit(rec(80, 'ESTABLISHED', 2n));
        late = visit;
        return { warnings: [{ code: 'ERR_W', message: 'w' }] };
      },
      close: async () => {},
    };
    const owner: Enricher = {
      prepare: async () => {
        log.push('prepare');
        return { enrich: (s) => void (s.process = { pid: 1, comm: 'nginx' }), finish: () => ({ warnings: [{ code: 'ERR_SEEN', message: 'seen' }] }) };
      },
      close: async () => {},
    };
    const snap = await collect(
      [{ name: 'nl', collector: streaming, timeoutMs: 1000 }],
      [{ name: 'process', enricher: owner, timeoutMs: 1000 }, { name: 'direction', enricher: direction(), timeoutMs: 1000 }],
      { metrics: recordingFold(log), table: recordingFold(second) },
    );
    late?.(rec(1, 'ESTABLISHED', 9n)); // after the collection: dropped
    expect(log).toEqual(['prepare', 'begin true', 'stream', 'add LISTEN 80 listen nginx', 'add ESTABLISHED 80 inbound nginx']);
    expect(second).toEqual(['begin true', 'add LISTEN 80 listen nginx', 'add ESTABLISHED 80 inbound nginx']);
    expect(snap.socketCount).toBe(2);
    expect(snap.folds.metrics).toEqual([family('folded', 5)]);
    expect(snap.folds.table).toEqual([family('folded', 3)]);
    expect(snap).not.toHaveProperty('sockets');
    expect(snap.status.map((s) => [s.name, s.success, s.warnings])).toEqual([
      ['nl', true, [{ code: 'ERR_W', message: 'w' }]], ['enricher:process', true, [{ code: 'ERR_SEEN', message: 'seen' }]], ['enricher:direction', true, undefined],
    ]);
  });

  it('buffered (streaming: off): reads everything, then prepares the enrichers and replays listeners first', async () => {
    const log: string[] = [];
    // the listener comes last from this collector: the replay must still fold it first
    const unordered: Collector = {
      stream: async (_signal, visit) => {
        log.push('stream');
        visit(rec(443, 'ESTABLISHED', 3n));
        visit(rec(443, 'LISTEN', 4n));
        return {};
      },
      close: async () => {},
    };
    const owner: Enricher = { prepare: async () => (log.push('prepare'), { enrich: (s) => void (s.process = { pid: 1, comm: 'nginx' }), finish: () => ({}) }), close: async () => {} };
    const snap = await collect([{ name: 'whole', collector: unordered, timeoutMs: 1000 }], [{ name: 'process', enricher: owner, timeoutMs: 1000 }, { name: 'direction', enricher: direction(), timeoutMs: 1000 }], { metrics: recordingFold(log) }, { buffer: true });
    expect(log).toEqual(['begin true', 'stream', 'prepare', 'add LISTEN 443 listen nginx', 'add ESTABLISHED 443 inbound nginx']);
    expect(snap.socketCount).toBe(2);
  });

  it('reports an enricher that cannot prepare in time or that throws on some records, and folds the rest', async () => {
    const log: string[] = [];
    const streaming: Collector = {
      stream: async (_signal, visit) => {
        for (const c of [1n, 2n, 3n]) visit(rec(1000 + Number(c), 'ESTABLISHED', c));
        return {};
      },
      close: async () => {},
    };
    const picky: Enricher = {
      prepare: async () => ({
        enrich: (s) => {
          if (s.cookie !== 2n) throw new Error(`cannot read /proc for ${s.cookie}`);
        },
        finish: () => ({}),
      }),
      close: async () => {},
    };
    const slow: Enricher = { prepare: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))), close: async () => {} };
    const snap = await collect([{ name: 'nl', collector: streaming, timeoutMs: 1000 }], [{ name: 'picky', enricher: picky, timeoutMs: 1000 }, { name: 'slow', enricher: slow, timeoutMs: 20 }], { metrics: recordingFold(log) });
    expect(snap.socketCount).toBe(3);
    expect(log.filter((l) => l.startsWith('add'))).toHaveLength(3);
    expect(snap.status.map((s) => [s.name, s.success, s.error ?? s.warnings?.map((w) => w.message)])).toEqual([
      ['nl', true, undefined],
      ['enricher:picky', true, ['2 record(s) could not be enriched: cannot read /proc for 1']],
      ['enricher:slow', false, 'enricher slow timed out after 20 ms'],
    ]);
  });
});

describe('derived list forms', () => {
  it('listSockets keeps what a collector streams; enrichRecords and foldRecords go listeners first', async () => {
    const c: Collector = { stream: async (_s, visit) => (visit(rec(80, 'ESTABLISHED', 2n)), visit(rec(80, 'LISTEN', 1n)), { warnings: [] }), close: async () => {} };
    const listed = await listSockets(c);
    expect(listed.sockets.map((s) => s.cookie)).toEqual([2n, 1n]);
    await enrichRecords(direction(), listed.sockets);
    expect(listed.sockets.map((s) => s.direction)).toEqual(['inbound', 'listen']);
    const log: string[] = [];
    foldRecords(recordingFold(log), 1, listed.sockets);
    expect(log).toEqual(['begin true', 'add LISTEN 80 listen -', 'add ESTABLISHED 80 inbound -']);
  });
});

describe('createPipeline', () => {
  const counting = (calls: { n: number }): Collector => ({
    stream: async () => {
      calls.n++;
      await new Promise((r) => setTimeout(r, 10));
      return { families: [family('x', calls.n)] };
    },
    close: async () => {},
  });
  const none: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => [] };

  it('shares one in-flight collection between concurrent callers and caches within the minimum interval', async () => {
    const calls = { n: 0 };
    let now = 0;
    const pipeline = createPipeline({ collectors: [{ name: 'a', collector: counting(calls), timeoutMs: 1000 }], enrichers: [], metrics: none, minIntervalMs: 1000, now: () => now });
    const [a, b, c] = await Promise.all([pipeline.collect(), pipeline.collect(), pipeline.collect()]);
    expect(calls.n).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    now = 999;
    expect(await pipeline.collect()).toBe(a);
    now = 1000;
    const d = await pipeline.collect();
    expect(calls.n).toBe(2);
    expect(d).not.toBe(a);
    expect(pipeline.latest()).toBe(d);
  });

  it('lets the next caller retry after a failed collection', async () => {
    let fail = true;
    const flaky: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => { if (fail) throw new Error('down'); return []; } };
    const pipeline = createPipeline({ collectors: [], enrichers: [], metrics: flaky, minIntervalMs: 0 });
    await expect(pipeline.collect()).rejects.toThrow('down');
    fail = false;
    await expect(pipeline.collect()).resolves.toHaveProperty('snapshot');
  });

  it('renders in one place: fold families, host, collector families, collector status, then self metrics', async () => {
    const self = createSelfMetrics();
    self.provide('otlp', () => [family('sockscope_otlp_exports_total', 2)]);
    const failing: Collector = { stream: async () => Promise.reject(new Error('gone')), close: async () => {} };
    const pipeline = createPipeline({
      collectors: [{ name: 'a', collector: ok(1), timeoutMs: 1000 }, { name: 'b', collector: failing, timeoutMs: 1000 }],
      enrichers: [],
      metrics: { begin: () => {}, add: () => {}, end: () => [family('flows', 0)] },
      selfMetrics: self,
      minIntervalMs: 0,
    });
    const rendered = await pipeline.collect();
    expect(rendered.families.map((f) => f.name)).toEqual([
      'flows', 'node_netstat_Tcp_InSegs', 'x', 'sockscope_scrape_collector_success', 'sockscope_scrape_collector_duration_seconds', 'sockscope_otlp_exports_total',
    ]);
    expect(rendered.families[3]?.samples).toEqual([{ labels: { collector: 'a' }, value: 1 }, { labels: { collector: 'b' }, value: 0 }]);
    expect(rendered.snapshot).not.toHaveProperty('folds');
  });

  it('renders host TCP states and transport packet counters a collector returns (FreeBSD), merged through the collection', async () => {
    const bsd: Collector = { stream: async () => ({ host: { tcpStates: { LISTEN: 2, ESTABLISHED: 5 }, transportPackets: { tcp: { transmit: 7, receive: 9 } } } }), close: async () => {} };
    const none: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => [] };
    const rendered = await createPipeline({ collectors: [{ name: 'bsd', collector: bsd, timeoutMs: 1000 }], enrichers: [], metrics: none, minIntervalMs: 0 }).collect();
    const byName = new Map(rendered.families.map((f) => [f.name, f]));
    expect(byName.get('node_netstat_tcp_connections')?.samples?.filter((s) => s.value > 0)).toEqual([
      { labels: { state: 'LISTEN' }, value: 2 },
      { labels: { state: 'ESTABLISHED' }, value: 5 },
    ]);
    expect(byName.get('node_netstat_tcp_transmit_packets_total')?.samples).toEqual([{ labels: {}, value: 7 }]);
    expect(byName.get('node_netstat_tcp_receive_packets_total')?.samples).toEqual([{ labels: {}, value: 9 }]);
  });

  it("collect[]: a scrape may ask for some collectors only; that collection is its own, and an unknown name is refused naming the known ones", async () => {
    const calls = { n: 0 };
    const none: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => [] };
    const pipeline = createPipeline({ collectors: [{ name: 'a', collector: counting(calls), timeoutMs: 1000 }, { name: 'b', collector: ok(5), timeoutMs: 1000 }], enrichers: [], metrics: none, minIntervalMs: 60_000 });
    expect(pipeline.collectorNames()).toEqual(['a', 'b']);
    const full = await pipeline.collect();
    const onlyB = await pipeline.collect({ collectors: ['b'] });
    expect(onlyB.snapshot.status.map((s) => s.name)).toEqual(['b']);
    expect(calls.n).toBe(1);
    expect(pipeline.latest()).toBe(full);
    await expect(pipeline.collect({ collectors: ['c'] })).rejects.toMatchObject({ code: 'ERR_PIPELINE_UNKNOWN_COLLECTOR', message: 'no collector "c" in this agent; running: a, b' });
  });

  it('refreshes asynchronous self metrics beside each collection it runs, never for one served from cache; a failed refresh keeps the last values', async () => {
    const self = createSelfMetrics();
    let reads = 0;
    let value = 0;
    self.provide('runtime', () => [family('nodejs_heap_size_used_bytes', value)], async () => {
      reads++;
      if (reads === 3) throw new Error('registry gone');
      value = reads;
    });
    const errors: unknown[] = [];
    let now = 0;
    const none: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => [] };
    const pipeline = createPipeline({ collectors: [], enrichers: [], metrics: none, selfMetrics: self, minIntervalMs: 1000, now: () => now, onSelfMetricsError: (e) => void errors.push(e) });
    const first = await pipeline.collect();
    expect(first.families.at(-1)?.samples?.[0]?.value).toBe(1);
    await pipeline.collect(); // cached: no read
    expect(reads).toBe(1);
    now = 1000;
    expect((await pipeline.collect()).families.at(-1)?.samples?.[0]?.value).toBe(2);
    now = 2000;
    expect((await pipeline.collect()).families.at(-1)?.samples?.[0]?.value).toBe(2);
    expect(errors).toEqual([new Error('registry gone')]);
  });
});
