import { describe, expect, it } from 'vitest';
import { metricCatalog } from '../catalog/catalog.js';
import { foldRecords } from '../pipeline/list.js';
import type { HistogramSample, MetricFamily, Sample } from '../types/family.js';
import { createMetricFold } from './metric-fold.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

const fam = (out: MetricFamily[], name: string): MetricFamily => {
  const f = out.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in ${out.map((x) => x.name).join(', ')}`);
  return f;
};
const value = (f: MetricFamily, labels: Record<string, string>): number | undefined =>
  f.samples?.find((s: Sample) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('createMetricFold defaults', () => {
  it('emits the default families in catalog order, each with its otel mapping', () => {
    const r = createMetricFold();
    const out = foldRecords(r, T0, [tcpSocket(), listener(80)]);
    const expected = metricCatalog.filter((e) => e.defaultOn).map((e) => e.prometheus);
    expect(out.map((f) => f.name)).toEqual(expected);
    for (const f of out) {
      const e = metricCatalog.find((x) => x.prometheus === f.name);
      expect(f.otel).toEqual(e?.otel);
      expect(f.type).toBe(e?.kind);
    }
  });

  it('folds with service by default: inbound by listening port, outbound by peer', () => {
    const r = createMetricFold();
    const out = foldRecords(r, T0, [
      listener(80),
      tcpSocket({ local: { address: '10.0.0.1', port: 80 }, remote: { address: '10.9.0.1', port: 50001 }, process: { pid: 7, comm: 'nginx' }, tcp: { rttUs: 2000 } }),
      tcpSocket({ local: { address: '10.0.0.1', port: 80 }, remote: { address: '10.9.0.2', port: 50002 }, process: { pid: 7, comm: 'nginx' }, tcp: { rttUs: 5000 } }),
      tcpSocket({ local: { address: '10.0.0.1', port: 41000 }, remote: { address: '10.5.0.5', port: 5432 }, process: { pid: 7, comm: 'nginx' }, tcp: { rttUs: 300 } }),
    ]);
    const rtt = fam(out, 'sockscope_tcp_rtt_seconds');
    expect(rtt.samples).toHaveLength(2);
    expect(value(rtt, { direction: 'inbound', local_port: '80', process: 'nginx' })).toBe(0.005);
    expect(value(rtt, { direction: 'outbound', dst: '10.5.0.5', dst_port: '5432' })).toBe(0.0003);
    // delivery rate sums, cwnd takes the minimum
    expect(value(fam(out, 'sockscope_tcp_delivery_rate_bytes_per_second'), { direction: 'inbound' })).toBe(2000);
    expect(value(fam(out, 'sockscope_tcp_listen_queue_limit'), { local_port: '80' })).toBe(128);
  });

  it('skips listeners and TIME_WAIT for per-flow families but counts them in sockscope_sockets', () => {
    const r = createMetricFold({ folding: 'raw_endpoint' });
    const out = foldRecords(r, T0, [listener(22), tcpSocket({ state: 'TIME_WAIT', tcp: undefined }), tcpSocket()]);
    expect(fam(out, 'sockscope_tcp_rtt_seconds').samples).toHaveLength(1);
    expect(value(fam(out, 'sockscope_sockets'), { state: 'TIME_WAIT' })).toBe(1);
    expect(value(fam(out, 'sockscope_sockets'), { state: 'LISTEN' })).toBe(1);
  });
});

describe('counters across collections', () => {
  it('stay monotonic per label set as sockets come and go', () => {
    const r = createMetricFold({ folding: 'peer' });
    const peer = { address: '10.7.7.7', port: 443 };
    const a = (segs: number) => tcpSocket({ cookie: 1n, local: { address: '10.0.0.1', port: 40001 }, remote: peer, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: segs } });
    const b = (segs: number) => tcpSocket({ cookie: 2n, local: { address: '10.0.0.1', port: 40002 }, remote: peer, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: segs } });
    const c = (segs: number) => tcpSocket({ inode: 77, local: { address: '10.0.0.1', port: 40003 }, remote: peer, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: segs } });
    const seq = [[a(10), b(5)], [a(12)], [a(13), c(100)], [c(150)], [c(160), b(1)], []];
    const seen: number[] = [];
    let t = 1_700_000_000_000;
    for (const sockets of seq) {
      const out = foldRecords(r, (t += 15_000), sockets);
      const v = value(fam(out, 'sockscope_tcp_data_segments_out_total'), { process: 'curl', dst: '10.7.7.7' });
      if (v !== undefined) seen.push(v);
    }
    // 15 → +2 (a) → +1 (a) +100 (c new) → +50 (c; a gone) → +10 (c) +1 (b is new again)
    expect(seen).toEqual([15, 17, 118, 168, 179]);
  });

  it('treats a counter that goes down under the same key as a new socket', () => {
    const r = createMetricFold({ folding: 'process' });
    const s = (n: number) => tcpSocket({ cookie: 9n, process: { pid: 1, comm: 'x' }, tcp: { bytesAcked: BigInt(n) } });
    foldRecords(r, T0, [s(1000)]);
    const out = foldRecords(r, T0, [s(10)]);
    expect(value(fam(out, 'sockscope_tcp_bytes_acked_total'), { process: 'x' })).toBe(1010);
  });
});

describe('idle series under churn (memory stays bounded)', () => {
  const segsOut = (out: MetricFamily[], labels: Record<string, string>) => value(fam(out, 'sockscope_tcp_data_segments_out_total'), labels);

  it('with max_idle_series 0, forgets a series as soon as its connection is gone', () => {
    const r = createMetricFold({ folding: 'raw_endpoint', max_idle_series: 0 });
    const conn = (cookie: bigint, segs: number) => tcpSocket({ cookie, local: { address: '10.0.0.1', port: 40001 }, remote: { address: '10.7.7.7', port: 443 }, tcp: { dataSegsOut: segs } });
    const key = { src_port: '40001', dst: '10.7.7.7' };
    expect(segsOut(foldRecords(r, T0, [conn(1n, 50)]), key)).toBe(50);
    expect(segsOut(foldRecords(r, T0, []), key)).toBeUndefined();
    // the same 4-tuple later is another connection: its counter starts from its own value
    expect(segsOut(foldRecords(r, T0, [conn(2n, 7)]), key)).toBe(7);
  });

  it('keeps at most maxIdleSeries idle series, forgetting the longest idle first', () => {
    const r = createMetricFold({ folding: 'peer' }, { maxIdleSeries: 1 });
    const to = (cookie: bigint, host: string, segs: number) => tcpSocket({ cookie, remote: { address: host, port: 443 }, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: segs } });
    foldRecords(r, T0, [to(1n, '10.0.0.7', 10), to(2n, '10.0.0.8', 20)]);
    foldRecords(r, T0, [to(2n, '10.0.0.8', 20)]); // .7 idle (1 idle: kept)
    foldRecords(r, T0, []); // .8 idle too: 2 idle, .7 went idle first and is forgotten
    const out = foldRecords(r, T0, [to(3n, '10.0.0.7', 1), to(4n, '10.0.0.8', 1)]);
    expect(segsOut(out, { dst: '10.0.0.7' })).toBe(1); // started over
    expect(segsOut(out, { dst: '10.0.0.8' })).toBe(21); // remembered: keeps counting
  });
});

describe('a socket whose owner or direction changes', () => {
  it('moves to the series its new key names, counters following it', () => {
    const r = createMetricFold({ folding: 'service' });
    // neither port is ephemeral and no listener: the fold's fallback calls it outbound
    const s = (segs: number, process?: { pid: number; comm: string }, direction?: 'inbound' | 'outbound') =>
      tcpSocket({ cookie: 42n, local: { address: '10.0.0.1', port: 8080 }, remote: { address: '10.0.0.9', port: 5000 }, process, direction, tcp: { dataSegsIn: segs } });
    const segsIn = (out: MetricFamily[]) => fam(out, 'sockscope_tcp_data_segments_in_total').samples?.map((x) => [x.labels.direction, x.labels.process, x.value]);
    expect(segsIn(foldRecords(r, T0, [s(10)]))).toEqual([['outbound', '', 10]]);
    // the process enricher found the owner this time
    expect(segsIn(foldRecords(r, T0, [s(15, { pid: 3, comm: 'app' })]))).toEqual([['outbound', 'app', 5]]);
    // a listener on 8080 appeared: the direction the fallback decided stays with the socket (issue 15)
    expect(segsIn(foldRecords(r, T0, [listener(8080), s(16, { pid: 3, comm: 'app' })]))).toEqual([['outbound', 'app', 6]]);
    // an enricher says inbound: the socket moves to the inbound series of its port, and back
    expect(segsIn(foldRecords(r, T0, [s(20, { pid: 3, comm: 'app' }, 'inbound')]))).toEqual([['inbound', 'app', 4]]);
    expect(segsIn(foldRecords(r, T0, [s(22, { pid: 3, comm: 'app' }, 'outbound')]))).toEqual([['outbound', 'app', 8]]);
  });
});

describe('RTT histogram', () => {
  // issue 18: a flow is observed at most once per flows.histogram_interval (10 s by default), so
  // the second collection is taken 15 s after the first (it was taken at the same instant)
  it('is cumulative across collections, each flow observed once per collection', () => {
    const r = createMetricFold({ histogram_buckets: [0.001, 0.01, 0.1] });
    const flows = [tcpSocket({ tcp: { rttUs: 500 } }), tcpSocket({ cookie: 3n, tcp: { rttUs: 5000 } }), tcpSocket({ cookie: 4n, tcp: { rttUs: 500_000 } })];
    const h1 = fam(foldRecords(r, T0, flows), 'sockscope_tcp_rtt_distribution_seconds').histograms?.[0] as HistogramSample;
    expect(h1.counts).toEqual([1, 2, 2]);
    expect(h1.count).toBe(3);
    const h2 = fam(foldRecords(r, T0 + 15_000, flows.slice(0, 2)), 'sockscope_tcp_rtt_distribution_seconds').histograms?.[0] as HistogramSample;
    expect(h2.counts).toEqual([2, 4, 4]);
    expect(h2.count).toBe(5);
    expect(h2.sum).toBeCloseTo(0.0005 * 2 + 0.005 * 2 + 0.5, 12);
    expect(h2.bounds).toEqual([0.001, 0.01, 0.1]);
  });
});

describe('folding records one at a time (begin / add / end)', () => {
  const records = () => [
    listener(80, { process: { pid: 7, comm: 'nginx' } }),
    tcpSocket({ cookie: 1n, local: { address: '10.0.0.1', port: 80 }, remote: { address: '10.9.0.1', port: 50001 }, process: { pid: 7, comm: 'nginx' }, tcp: { rttUs: 2000, dataSegsOut: 5 } }),
    tcpSocket({ cookie: 2n, local: { address: '10.0.0.1', port: 41000 }, remote: { address: '10.5.0.5', port: 5432 }, process: { pid: 7, comm: 'nginx' }, tcp: { rttUs: 300, dataSegsOut: 9 } }),
    tcpSocket({ cookie: 3n, state: 'TIME_WAIT', tcp: undefined }),
  ];

  it('gives what foldRecords (the list form, listeners first) gives for the same records, collection after collection', () => {
    const batch = createMetricFold();
    const fold = createMetricFold();
    for (let round = 1; round <= 3; round++) {
      const list = records().map((s) => (s.tcp ? { ...s, tcp: { ...s.tcp, dataSegsOut: (s.tcp.dataSegsOut ?? 0) * round } } : s));
      const expected = foldRecords(batch, 1000 * round, list);
      fold.begin(1000 * round);
      for (const s of list) fold.add(s);
      expect(fold.end(true)).toEqual(expected);
    }
    expect(value(fam(foldRecords(batch, 4000, records()), 'sockscope_tcp_rtt_seconds'), { direction: 'inbound', local_port: '80' })).toBe(0.002);
  });

  it('keeps the counter increments of a collection that was begun and never ended', () => {
    const r = createMetricFold({ folding: 'peer' });
    const segs = (n: number) => tcpSocket({ cookie: 1n, remote: { address: '10.7.7.7', port: 443 }, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: n } });
    const total = (out: MetricFamily[]) => value(fam(out, 'sockscope_tcp_data_segments_out_total'), { dst: '10.7.7.7' });
    r.begin(1);
    r.add(segs(10));
    expect(total(r.end(true))).toBe(10);
    r.begin(2);
    r.add(segs(25)); // this collection is abandoned (its collector timed out): 15 more were seen
    r.begin(3);
    r.add(segs(30));
    expect(total(r.end(true))).toBe(30);
  });

  it('refuses add() and end() outside a collection', () => {
    const r = createMetricFold();
    expect(() => r.add(tcpSocket())).toThrow('add() outside begin()/end()');
    expect(() => r.end(true)).toThrow('end() without begin()');
  });
});

describe('counter memory of sockets that come and go', () => {
  it('counts a new socket whole on first sight, even in the place a closed one left', () => {
    const r = createMetricFold({ folding: 'peer' });
    const conn = (cookie: bigint, segs: number) =>
      tcpSocket({ cookie, local: { address: '10.0.0.1', port: 40000 + Number(cookie) }, remote: { address: '10.7.7.7', port: 443 }, process: { pid: 1, comm: 'curl' }, tcp: { dataSegsOut: segs } });
    const total = (out: MetricFamily[]) => value(fam(out, 'sockscope_tcp_data_segments_out_total'), { dst: '10.7.7.7' });
    // 3,000 sockets so the shared store grows past its first block, then all close
    expect(total(foldRecords(r, 1, Array.from({ length: 3000 }, (_, i) => conn(BigInt(i + 1), 100))))).toBe(300_000);
    expect(total(foldRecords(r, 2, [conn(5000n, 150)]))).toBe(300_150);
    expect(total(foldRecords(r, 3, [conn(5000n, 160), conn(5001n, 1000)]))).toBe(301_160);
  });
});
