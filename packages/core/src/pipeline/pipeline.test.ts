import { describe, expect, it } from 'vitest';
import type { Collector } from '../contracts/collector.js';
import type { Fold } from '../contracts/fold.js';
import type { RenderedSnapshot } from '../contracts/sink.js';
import { createMetricFold } from '../flows/metric-fold.js';
import { tcpSocket } from '../flows/sockets.fixture.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createPipeline, createSelfMetrics } from './pipeline.js';

const family = (name: string, value: number): MetricFamily => ({ name, help: name, type: 'gauge', samples: [{ labels: {}, value }] });
const none: Fold<MetricFamily[]> = { begin: () => {}, add: () => {}, end: () => [] };
/** A host collector: one host counter and a family of its own. */
const host = (value: number): Collector => ({
  stream: async () => ({ families: [family('own_family', value)], host: { protocols: { Tcp: { InSegs: value } } } }),
  close: async () => {},
});
/** A socket collector streaming whatever `records()` gives at the time. */
const sockets = (records: () => readonly SocketRecord[]): Collector => ({
  stream: async (_signal, visit) => {
    for (const r of records()) visit(r);
    return {};
  },
  close: async () => {},
});
const successOf = (r: RenderedSnapshot) =>
  r.families.find((f) => f.name === 'sockscope_scrape_collector_success')?.samples?.map((s) => [s.labels?.collector, s.value]);
const valueOf = (r: RenderedSnapshot, name: string) => r.families.find((f) => f.name === name)?.samples?.[0]?.value;

describe('pipeline start failures', () => {
  it('a collector that failed at create() is published as success 0 with its error in every collection', async () => {
    const pipeline = createPipeline({
      collectors: [{ name: 'a', collector: host(1), timeoutMs: 1000 }],
      enrichers: [],
      metrics: none,
      minIntervalMs: 0,
      startFailures: [{ name: 'broken', success: false, durationSeconds: 0, error: 'interfaces.exclude: invalid regular expression', errorCode: 'ERR_CONFIG_INVALID' }],
    });
    for (let i = 0; i < 2; i++) {
      const r = await pipeline.collect();
      expect(successOf(r)).toEqual([['a', 1], ['broken', 0]]);
      expect(r.snapshot.status.find((s) => s.name === 'broken')).toMatchObject({ success: false, error: 'interfaces.exclude: invalid regular expression', errorCode: 'ERR_CONFIG_INVALID' });
    }
    // node_exporter's collect[] names it too, and it answers with its failure
    expect(pipeline.collectorNames()).toEqual(['a', 'broken']);
    expect(successOf(await pipeline.collect({ collectors: ['broken'] }))).toEqual([['broken', 0]]);
    expect(successOf(await pipeline.collect({ collectors: ['a'] }))).toEqual([['a', 1]]);
  });
});

describe('pipeline publishHost', () => {
  it('publishHost: false leaves the host families out and keeps flows, collector families, status and self metrics', async () => {
    const self = createSelfMetrics();
    self.provide('build', () => [family('sockscope_build_info', 1)]);
    const parts = {
      collectors: [{ name: 'h', collector: host(3), timeoutMs: 1000 }],
      enrichers: [],
      metrics: { begin: () => {}, add: () => {}, end: () => [family('tcp_rtt', 1)] },
      selfMetrics: self,
      minIntervalMs: 0,
    };
    const names = async (publishHost?: boolean) => (await createPipeline({ ...parts, publishHost }).collect()).families.map((f) => f.name);
    expect(await names()).toContain('node_netstat_Tcp_InSegs');
    expect(await names(false)).toEqual(['tcp_rtt', 'own_family', 'sockscope_scrape_collector_success', 'sockscope_scrape_collector_duration_seconds', 'sockscope_build_info']);
  });

  // issue 21: sockscope_host_address_info is a collector's own family that describes the host
  it('publishHost: false also leaves out a collector family marked host; unmarked ones stay', async () => {
    const marked: Collector = {
      stream: async () => ({ families: [{ ...family('sockscope_host_address_info', 1), host: true }, family('own_family', 2)] }),
      close: async () => {},
    };
    const parts = { collectors: [{ name: 'h', collector: marked, timeoutMs: 1000 }], enrichers: [], metrics: none, minIntervalMs: 0 };
    const names = async (publishHost?: boolean) => (await createPipeline({ ...parts, publishHost }).collect()).families.map((f) => f.name);
    expect(await names()).toEqual(expect.arrayContaining(['sockscope_host_address_info', 'own_family']));
    expect(await names(false)).toContain('own_family');
    expect(await names(false)).not.toContain('sockscope_host_address_info');
  });
});

describe('pipeline onCollection', () => {
  it('is called with every collection, shared and collect[], and its throw does not fail the collection', async () => {
    const seen: RenderedSnapshot[] = [];
    const pipeline = createPipeline({
      collectors: [{ name: 'a', collector: host(1), timeoutMs: 1000 }],
      enrichers: [],
      metrics: none,
      minIntervalMs: 60_000,
      onCollection: (r) => {
        seen.push(r);
        throw new Error('hook failed');
      },
    });
    const first = await pipeline.collect();
    await pipeline.collect(); // cached: no collection
    const only = await pipeline.collect({ collectors: ['a'] });
    expect(seen).toEqual([first, only]);
  });
});

describe('pipeline reconfigure', () => {
  it('the next collection uses the new parts; one in flight finishes with the old ones, which are released after it', async () => {
    let release: () => void = () => {};
    const slowOld: Collector = {
      stream: () => new Promise((resolve) => (release = () => resolve({ families: [family('old', 1)] }))),
      close: async () => {},
    };
    const pipeline = createPipeline({ collectors: [{ name: 'old', collector: slowOld, timeoutMs: 5000 }], enrichers: [], metrics: none, minIntervalMs: 60_000 });
    const inflight = pipeline.collect();
    await new Promise((r) => setTimeout(r, 10));
    let oldReleased = false;
    const switched = pipeline.reconfigure({ collectors: [{ name: 'new', collector: host(2), timeoutMs: 1000 }], enrichers: [], metrics: none, minIntervalMs: 60_000 }).then(() => (oldReleased = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(oldReleased).toBe(false);
    expect(pipeline.collectorNames()).toEqual(['new']);
    release();
    const before = await inflight;
    await switched;
    expect(before.families.map((f) => f.name)).toContain('old');
    expect(pipeline.latest()).toBe(before);
    // not served from the cache of the old config, though the minimum interval has not passed
    const after = await pipeline.collect();
    expect(after).not.toBe(before);
    expect(successOf(after)).toEqual([['new', 1]]);
    expect(after.families.map((f) => f.name)).toContain('own_family');
  });
});

describe('pipeline collect[] and the shared metric fold', () => {
  it('a host-only collect[] collection does not make the metric fold forget its sockets (no double-counted counters)', async () => {
    let sent = 100n;
    const records = () => [tcpSocket({ cookie: 7n, tcp: { bytesSent: sent } })];
    const pipeline = createPipeline({
      collectors: [
        { name: 'sockets', collector: sockets(records), timeoutMs: 1000 },
        { name: 'host', collector: host(1), timeoutMs: 1000 },
      ],
      enrichers: [],
      metrics: createMetricFold({ folding: 'raw_endpoint' }),
      minIntervalMs: 0,
    });
    expect(valueOf(await pipeline.collect(), 'sockscope_tcp_bytes_sent_total')).toBe(100);
    const hostOnly = await pipeline.collect({ collectors: ['host'] });
    expect(hostOnly.families.map((f) => f.name)).not.toContain('sockscope_tcp_bytes_sent_total');
    sent = 150n;
    // the kernel's counter: 150 bytes sent in the socket's life
    expect(valueOf(await pipeline.collect(), 'sockscope_tcp_bytes_sent_total')).toBe(150);
  });

  it('a collect[] collection waits for the shared one in flight: the fold is never open twice', async () => {
    const log: string[] = [];
    const fold: Fold<MetricFamily[]> = { begin: () => void log.push('begin'), add: () => {}, end: () => (log.push('end'), []) };
    const slow: Collector = {
      stream: async (_signal, visit) => {
        await new Promise((r) => setTimeout(r, 30));
        visit(tcpSocket({ cookie: 1n }));
        return {};
      },
      close: async () => {},
    };
    const pipeline = createPipeline({ collectors: [{ name: 's', collector: slow, timeoutMs: 1000 }], enrichers: [], metrics: fold, minIntervalMs: 0 });
    await Promise.all([pipeline.collect(), pipeline.collect({ collectors: ['s'] })]);
    expect(log).toEqual(['begin', 'end', 'begin', 'end']);
  });
});

describe('pipeline views', () => {
  it('a view fold is fed by every shared collection (its result in rendered.views), shares the cache and is left out of collect[] collections', async () => {
    let seen = 0;
    const view: Fold<{ sockets: number }> = {
      begin: () => void (seen = 0),
      add: () => void seen++,
      end: () => ({ sockets: seen }),
    };
    const pipeline = createPipeline({
      collectors: [
        { name: 's', collector: sockets(() => [tcpSocket({ local: { address: '10.0.0.1', port: 1 } }), tcpSocket({ local: { address: '10.0.0.1', port: 2 } })]), timeoutMs: 1000 },
        { name: 'h', collector: host(1), timeoutMs: 1000 },
      ],
      enrichers: [],
      metrics: none,
      views: { connections: view },
      minIntervalMs: 60_000,
    });
    const first = await pipeline.collect();
    expect(first.views).toEqual({ connections: { sockets: 2 } });
    // served from cache: the same snapshot, the same view
    expect(await pipeline.collect()).toBe(first);
    const only = await pipeline.collect({ collectors: ['h'] });
    expect(only.views).toBeUndefined();
    // without views, rendered snapshots carry none
    expect((await createPipeline({ collectors: [], enrichers: [], metrics: none, minIntervalMs: 0 }).collect()).views).toBeUndefined();
  });
});

describe('pipeline views asked for (viewsIdleMs)', () => {
  it('views join shared collections only within viewsIdleMs of a collect({ views: true }); a cached snapshot without them does not answer one', async () => {
    let clock = 0;
    let fed = 0;
    const view: Fold<{ fed: number }> = { begin: () => {}, add: () => void fed++, end: () => ({ fed }) };
    const pipeline = createPipeline({
      collectors: [{ name: 's', collector: sockets(() => [tcpSocket()]), timeoutMs: 1000 }],
      enrichers: [],
      metrics: none,
      views: { connections: view },
      viewsIdleMs: 60_000,
      minIntervalMs: 1000,
      now: () => clock,
    });
    // nobody asked: a scrape's collection leaves the view out
    const scrape = await pipeline.collect();
    expect(scrape.views).toBeUndefined();
    expect(fed).toBe(0);
    // asked while the scrape's snapshot is fresh: not served from it, a new collection feeds the view
    const asked = await pipeline.collect({ views: true });
    expect(asked).not.toBe(scrape);
    expect(asked.views).toEqual({ connections: { fed: 1 } });
    // now cached with the view: both kinds of caller share it
    expect(await pipeline.collect({ views: true })).toBe(asked);
    expect(await pipeline.collect()).toBe(asked);
    // within viewsIdleMs, scrapes' collections feed the view too
    clock += 30_000;
    expect((await pipeline.collect()).views).toBeDefined();
    // after it, they stop
    clock += 61_000;
    expect((await pipeline.collect()).views).toBeUndefined();
  });

  it('a caller asking for the views while a collection without them is in flight gets a new one with them', async () => {
    let fed = 0;
    const view: Fold<number> = { begin: () => {}, add: () => void fed++, end: () => fed };
    const pipeline = createPipeline({
      collectors: [{ name: 's', collector: sockets(() => [tcpSocket()]), timeoutMs: 1000 }],
      enrichers: [],
      metrics: none,
      views: { connections: view },
      viewsIdleMs: 60_000,
      minIntervalMs: 0,
    });
    const [plain, withViews] = await Promise.all([pipeline.collect(), pipeline.collect({ views: true })]);
    expect(plain.views).toBeUndefined();
    expect(withViews.views).toEqual({ connections: 1 });
  });
});
