import { describe, expect, it } from 'vitest';
import { foldRecords } from '../pipeline/list.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createMetricFold, type MetricFold } from './metric-fold.js';
import { prng, T0, tcpSocket } from './sockets.fixture.js';

// Issue 14: "Top-k churn corrupts per-flow counters under the cap". With max_series and
// top_k: rtt the kept set changed almost every collection as RTTs moved, so a flow's own series
// held only what it did while kept. Membership is now sticky: see README "Cardinality cap".

const SENT = 'sockscope_tcp_bytes_sent_total';
const RTT = 'sockscope_tcp_rtt_seconds';

/** Flow i: a socket from 10.0.0.1:40000+i with the given RTT (µs), bytes sent and retransmits. */
const flow = (i: number, rttUs: number, bytesSent = 0n, totalRetrans = 0): SocketRecord =>
  tcpSocket({ cookie: BigInt(i + 1), local: { address: '10.0.0.1', port: 40000 + i }, tcp: { rttUs, bytesSent, totalRetrans } });

/** Per src_port (or "other") value of a family. */
function byPort(out: MetricFamily[], name: string): Map<string, number> {
  const f = out.find((x) => x.name === name);
  return new Map((f?.samples ?? []).map((s) => [s.labels.src_port as string, s.value]));
}
const kept = (out: MetricFamily[]): string[] => [...byPort(out, RTT).keys()].filter((k) => k !== 'other').sort();

const capped = (max: number, top_k: 'rtt' | 'retransmits' = 'rtt'): MetricFold => createMetricFold({ folding: 'raw_endpoint', max_series: max, top_k });

describe('top-k churn corrupts per-flow counters under the cap', () => {
  it("a kept flow's bytes_sent_total increase equals the kernel's over the same interval while RTTs move; other never decreases", () => {
    const rand = prng(14);
    const fold = capped(3); // 2 kept + other, over 10 flows
    const sent = Array.from({ length: 10 }, () => 0n);
    const rounds: { out: MetricFamily[]; kernel: bigint[] }[] = [];
    for (let round = 0; round < 30; round++) {
      // every RTT moves by up to ±8 % around 20 ms each collection: the ranking reshuffles,
      // but no flow is ever worse than another by the 20 % margin
      const records = sent.map((b, i) => {
        sent[i] = b + BigInt(1 + Math.floor(rand() * 1_000_000));
        return flow(i, Math.round(20_000 * (0.92 + rand() * 0.16)), sent[i]);
      });
      rounds.push({ out: foldRecords(fold, T0 + round * 15_000, records), kernel: [...sent] });
    }
    const first = rounds[0] as (typeof rounds)[number];
    const last = rounds.at(-1) as (typeof rounds)[number];
    // the same two flows hold their seats from the first collection to the last
    for (const r of rounds) expect(kept(r.out)).toEqual(kept(first.out));
    expect(kept(first.out)).toHaveLength(2);
    for (const port of kept(first.out)) {
      const i = Number(port) - 40000;
      const increase = (byPort(last.out, SENT).get(port) as number) - (byPort(first.out, SENT).get(port) as number);
      expect(increase, port).toBe(Number((last.kernel[i] as bigint) - (first.kernel[i] as bigint)));
      // kept from its first sighting: the whole kernel counter
      expect(byPort(last.out, SENT).get(port), port).toBe(Number(last.kernel[i]));
    }
    let prev = 0;
    for (const r of rounds) {
      const other = byPort(r.out, SENT).get('other') as number;
      expect(other).toBeGreaterThanOrEqual(prev);
      prev = other;
    }
    // nothing lost: kept series and other add up to every byte the kernel counted
    const total = [...byPort(last.out, SENT).values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(Number(last.kernel.reduce((a, b) => a + b, 0n)));
  });

  it('ties stay put for 30 collections, even against newcomers whose keys sort first', () => {
    const fold = capped(3);
    // flows 5..9 come first: 40005 and 40006 take the two seats (ties by key)
    expect(kept(foldRecords(fold, T0, [5, 6, 7, 8, 9].map((i) => flow(i, 5000))))).toEqual(['40005', '40006']);
    for (let round = 1; round <= 30; round++) {
      const out = foldRecords(fold, T0 + round * 15_000, Array.from({ length: 10 }, (_, i) => flow(i, 5000)));
      expect(kept(out), `round ${round}`).toEqual(['40005', '40006']);
    }
  });

  it('a newcomer worse by the margin (20 % and 1 ms) takes the seat of the least bad kept flow', () => {
    const fold = capped(3);
    const base = [flow(0, 5000), flow(1, 6000), flow(2, 1000), flow(4, 500)];
    expect(kept(foldRecords(fold, T0, base))).toEqual(['40000', '40001']);
    // 5900 µs: 18 % above the least bad kept flow (5000): not enough
    expect(kept(foldRecords(fold, T0 + 1, [...base, flow(3, 5900)]))).toEqual(['40000', '40001']);
    // 7000 µs: 40 % and 2 ms above 5000: takes its seat; 6000 keeps its own
    expect(kept(foldRecords(fold, T0 + 2, [...base, flow(3, 7000)]))).toEqual(['40001', '40003']);
    // small RTTs: 900 µs against 100 µs is 9 times worse but only 0.8 ms: no swap
    const low = capped(3);
    const rest = flow(4, 10);
    expect(kept(foldRecords(low, T0, [flow(0, 100), flow(1, 150), flow(2, 50), rest]))).toEqual(['40000', '40001']);
    expect(kept(foldRecords(low, T0 + 1, [flow(0, 100), flow(1, 150), flow(2, 900), rest]))).toEqual(['40000', '40001']);
    expect(kept(foldRecords(low, T0 + 2, [flow(0, 100), flow(1, 150), flow(2, 1200), rest]))).toEqual(['40001', '40002']);
  });

  it('under top_k: retransmits the margin is 20 % and 10 retransmits', () => {
    const fold = capped(2, 'retransmits');
    const quiet = flow(2, 1, 0n, 0);
    expect(kept(foldRecords(fold, T0, [flow(0, 1, 0n, 20), flow(1, 1, 0n, 5), quiet]))).toEqual(['40000']);
    expect(kept(foldRecords(fold, T0 + 1, [flow(0, 1, 0n, 20), flow(1, 1, 0n, 29), quiet]))).toEqual(['40000']);
    expect(kept(foldRecords(fold, T0 + 2, [flow(0, 1, 0n, 20), flow(1, 1, 0n, 30), quiet]))).toEqual(['40001']);
  });

  it('a kept flow that goes away frees its seat for the worst newcomer', () => {
    const fold = capped(3);
    expect(kept(foldRecords(fold, T0, [flow(0, 9000), flow(1, 8000), flow(2, 3000), flow(3, 2000), flow(4, 1000)]))).toEqual(['40000', '40001']);
    expect(kept(foldRecords(fold, T0 + 1, [flow(1, 8000), flow(2, 3000), flow(3, 2000), flow(4, 1000)]))).toEqual(['40001', '40002']);
  });

  it('when more series hold seats than there are, the worst holders keep theirs', () => {
    const fold = capped(4);
    // four flows, within the cap: all kept
    expect(kept(foldRecords(fold, T0, [flow(0, 1000), flow(1, 2000), flow(2, 3000), flow(3, 4000)]))).toEqual(['40000', '40001', '40002', '40003']);
    // a fifth arrives, even worse: 3 seats; incumbents 4000 and 3000 stay, 2000 (least bad kept)
    // gives its seat to the newcomer at 9000 (worse by the margin)
    expect(kept(foldRecords(fold, T0 + 1, [flow(0, 1000), flow(1, 2000), flow(2, 3000), flow(3, 4000), flow(4, 9000)]))).toEqual(['40002', '40003', '40004']);
  });

  it('every increment is counted once, in its own series or in other, while seats change hands', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed);
      const fold = capped(2 + Math.floor(rand() * 5));
      const sent = Array.from({ length: 12 }, () => 0n);
      const last = new Map<string, number>(); // each series' latest value, shown now or before
      let swaps = 0;
      let before: string[] = [];
      for (let round = 0; round < 40; round++) {
        // RTTs jump across 0–100 ms, so newcomers often beat holders by the margin
        const records = sent.map((b, i) => flow(i, Math.floor(rand() * 100_000), (sent[i] = b + BigInt(Math.floor(rand() * 5000)))));
        const out = foldRecords(fold, T0 + round * 15_000, records);
        for (const [port, v] of byPort(out, SENT)) last.set(port, v);
        const now = kept(out);
        if (round > 0 && now.join() !== before.join()) swaps++;
        before = now;
        const counted = [...last.values()].reduce((a, v) => a + v, 0);
        expect(counted, `seed ${seed} round ${round}`).toBe(Number(sent.reduce((a, v) => a + v, 0n)));
      }
      expect(swaps, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it("a flow admitted later counts from its admission: its counter is what it did while kept", () => {
    const fold = capped(2);
    const first = foldRecords(fold, T0, [flow(0, 5000, 100n), flow(1, 1000, 100n), flow(2, 500, 100n)]);
    expect(kept(first)).toEqual(['40000']);
    expect(byPort(first, SENT).get('other')).toBe(200);
    // flow 0 leaves: flows 1 and 2 fit the cap now; the 100 bytes they sent while folded stay
    // in other, and only their 50 new bytes are their own
    const out = foldRecords(fold, T0 + 1, [flow(1, 1000, 150n), flow(2, 500, 150n)]);
    expect(byPort(out, SENT).get('40001')).toBe(50);
    expect(byPort(out, SENT).get('40002')).toBe(50);
  });
});
