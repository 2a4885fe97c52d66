import { describe, expect, it } from 'vitest';
import { foldRecords } from '../pipeline/list.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createMetricFold } from './metric-fold.js';
import type { FoldingStrategy } from './schema.js';
import { prng, randomSockets, T0, tcpSocket } from './sockets.fixture.js';

const get = (out: MetricFamily[], name: string) => out.find((f) => f.name === name);
const flowsIn = (sockets: readonly SocketRecord[]) =>
  sockets.filter((s) => s.protocol === 'tcp' && !['LISTEN', 'CLOSE', 'TIME_WAIT', 'SYN_RECV', 'NEW_SYN_RECV'].includes(s.state));

describe('max_series', () => {
  const ten = Array.from({ length: 10 }, (_, i) =>
    tcpSocket({ cookie: BigInt(i + 1), local: { address: '10.0.0.1', port: 40000 + i }, tcp: { rttUs: (i + 1) * 1000, totalRetrans: 10 - i, dataSegsOut: 1 } }),
  );

  it('keeps the worst flows by rtt and sums the rest into "other"', () => {
    const r = createMetricFold({ folding: 'raw_endpoint', max_series: 4, families: { flow_sockets: true } });
    const out = foldRecords(r, T0, ten);
    const rtt = get(out, 'sockscope_tcp_rtt_seconds')?.samples ?? [];
    expect(rtt.map((s) => [s.labels.src_port, s.value])).toEqual([
      // kept series stay in the order the sockets came
      ['40007', 0.008],
      ['40008', 0.009],
      ['40009', 0.01],
      ['other', 0.007], // rtt merges with max: the worst of the folded flows
    ]);
    expect(get(out, 'sockscope_flow_sockets')?.samples?.at(-1)?.value).toBe(7);
    expect(get(out, 'sockscope_tcp_data_segments_out_total')?.samples?.at(-1)?.value).toBe(7);
    const dropped = get(out, 'sockscope_series_dropped')?.samples ?? [];
    expect(dropped.find((s) => s.labels.family === 'sockscope_tcp_rtt_seconds')?.value).toBe(7);
    expect(dropped.find((s) => s.labels.family === 'sockscope_flow_sockets')?.value).toBe(7);
  });

  it('keeps the worst flows by retransmits when top_k says so', () => {
    const r = createMetricFold({ folding: 'raw_endpoint', max_series: 3, top_k: 'retransmits' });
    const ports = get(foldRecords(r, T0, ten), 'sockscope_tcp_retransmits_total')?.samples?.map((s) => s.labels.src_port);
    expect(ports).toEqual(['40000', '40001', 'other']);
  });

  it('breaks ties at the threshold by key, the same way every scrape', () => {
    const same = ten.map((s) => ({ ...s, tcp: { ...s.tcp, rttUs: 5000 } }));
    const r = createMetricFold({ folding: 'raw_endpoint', max_series: 4 });
    const pick = () => get(foldRecords(r, T0, same), 'sockscope_tcp_rtt_seconds')?.samples?.map((s) => s.labels.src_port);
    expect(pick()).toEqual(['40000', '40001', '40002', 'other']);
    expect(pick()).toEqual(['40000', '40001', '40002', 'other']);
    const reversed = createMetricFold({ folding: 'raw_endpoint', max_series: 4 });
    expect(get(foldRecords(reversed, T0, [...same].reverse()), 'sockscope_tcp_rtt_seconds')?.samples?.map((s) => s.labels.src_port)).toEqual([
      '40002', '40001', '40000', 'other',
    ]);
  });

  // Per-flow families are written as columns since issue 20 (no object a sample, made only when
  // a sink reads \`samples\`), so an unchanged value is no longer the same Sample object as the
  // scrape before: what stays is that an emitted sample never changes and that a series keeps
  // one labels object for life (the exposition's label bytes are kept by it).
  it('never mutates an emitted sample, and a series keeps its labels object from scrape to scrape', () => {
    const r = createMetricFold({ folding: 'raw_endpoint' });
    const first = get(foldRecords(r, T0, ten), 'sockscope_tcp_rtt_seconds')?.samples ?? [];
    const before = first.map((s) => s.value);
    const changed = ten.map((s, i) => (i === 0 ? { ...s, tcp: { ...s.tcp, rttUs: 99_000 } } : s));
    const second = get(foldRecords(r, T0, changed), 'sockscope_tcp_rtt_seconds')?.samples ?? [];
    expect(first.map((s) => s.value)).toEqual(before);
    expect(second[0]?.value).toBe(0.099);
    expect(second[0]).not.toBe(first[0]);
    expect(second[1]).toEqual(first[1]);
    expect(second[1]?.labels).toBe(first[1]?.labels);
  });

  it('reports zero dropped series when within the cap', () => {
    const out = foldRecords(createMetricFold({ folding: 'raw_endpoint' }), T0, ten);
    const dropped = get(out, 'sockscope_series_dropped')?.samples ?? [];
    // 13 per-flow families (flow_sockets off), and since issue 16 the two info gauges (also capped)
    // issue 21 adds sockscope_workload_address_info, one more info gauge: 16
    // issue 18 adds the four per-flow lifecycle families (opened, closed, connect failures, durations): 20
    expect(dropped.length).toBe(20);
    expect(dropped.every((s) => s.value === 0)).toBe(true);
  });
});

describe('properties over random socket sets (seeded)', () => {
  const strategies: FoldingStrategy[] = ['raw_endpoint', 'pid_condensed', 'peer', 'service', 'process', 'container'];

  it('folding never loses a socket and never exceeds the cap', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const rand = prng(seed);
      const sockets = randomSockets(rand, 1 + Math.floor(rand() * 400));
      const folding = strategies[seed % strategies.length] as FoldingStrategy;
      const max = 1 + Math.floor(rand() * 60);
      const r = createMetricFold({ folding, max_series: max, label_style: seed % 2 ? 'flow' : 'separate', families: { flow_sockets: true } });
      const out = foldRecords(r, T0, sockets);
      const counts = get(out, 'sockscope_flow_sockets')?.samples ?? [];
      const ctx = `seed ${seed} ${folding} max ${max}`;
      expect(counts.reduce((a, s) => a + s.value, 0), ctx).toBe(flowsIn(sockets).length);
      const segs = get(out, 'sockscope_tcp_data_segments_out_total')?.samples ?? [];
      expect(segs.reduce((a, s) => a + s.value, 0), ctx).toBe(flowsIn(sockets).reduce((a, s) => a + (s.tcp?.dataSegsOut ?? 0), 0));
      for (const f of out) if (f.samples && f.name !== 'sockscope_series_dropped' && f.name !== 'sockscope_sockets') expect(f.samples.length, `${ctx} ${f.name}`).toBeLessThanOrEqual(max);
      const keys = counts.map((s) => JSON.stringify(s.labels));
      expect(new Set(keys).size, ctx).toBe(keys.length);
    }
  });

  it('every counter series is monotonic while sockets come, go and grow', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = prng(1000 + seed);
      const pool = randomSockets(rand, 200);
      const folding = strategies[seed % strategies.length] as FoldingStrategy;
      const r = createMetricFold({ folding, max_series: 5 + Math.floor(rand() * 40), top_k: seed % 2 ? 'rtt' : 'retransmits' });
      const last = new Map<string, number>();
      for (let round = 0; round < 8; round++) {
        const live = pool
          .filter(() => rand() < 0.6)
          .map((s) => {
            // counters of live sockets grow; rtt moves so top_k reshuffles
            const grown = { ...s, tcp: { ...s.tcp, dataSegsOut: (s.tcp?.dataSegsOut ?? 0) + Math.floor(rand() * 50), rttUs: Math.floor(rand() * 100_000) } };
            pool[pool.indexOf(s)] = grown;
            return grown;
          });
        const out = foldRecords(r, 1_700_000_000_000 + round * 15_000, live);
        for (const s of get(out, 'sockscope_tcp_data_segments_out_total')?.samples ?? []) {
          const k = JSON.stringify(s.labels);
          expect(s.value, `seed ${seed} round ${round} ${k}`).toBeGreaterThanOrEqual(last.get(k) ?? 0);
          last.set(k, s.value);
        }
      }
    }
  });
});
