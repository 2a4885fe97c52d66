import { describe, expect, it } from 'vitest';
import { sampleColumns, type MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createMetricFold } from './metric-fold.js';

// Per-flow families are written as columns; a family that has every series shares one labels
// list with the others, one that leaves series out keeps its own. Both must pair each value
// with its own series' labels, wherever in the table the gaps fall.
const socket = (i: number, tcp: SocketRecord['tcp']): SocketRecord => ({
  protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.1', port: 40000 + i }, remote: { address: '10.0.9.9', port: 443 },
  inode: i + 1, uid: 0, recvQueue: 0, sendQueue: 0, cookie: BigInt(i + 1), ...(tcp ? { tcp } : {}),
});

function fold(records: SocketRecord[]): MetricFamily[] {
  const f = createMetricFold({ folding: 'raw_endpoint' });
  f.begin(1_000);
  for (const r of records) f.add(r);
  return f.end(true);
}

describe('per-flow families as columns', () => {
  it('pairs each value with its series whether the family has every series or leaves some out', () => {
    // rtt only on even sockets past the third (gaps at the start, in the middle, none at the end);
    // cwnd on every socket
    const records = Array.from({ length: 12 }, (_, i) => socket(i, { sndCwnd: 10 + i, ...(i > 2 && i % 2 === 0 ? { rttUs: 1000 * (i + 1) } : {}) }));
    const families = fold(records);
    const byName = (n: string) => families.find((f) => f.name === n) as MetricFamily;
    const cwnd = byName('sockscope_tcp_cwnd_segments');
    const rtt = byName('sockscope_tcp_rtt_seconds');
    const cwndColumns = sampleColumns(cwnd);
    const rttColumns = sampleColumns(rtt);
    expect(cwndColumns?.length).toBe(12);
    expect(rttColumns?.length).toBe(4);
    // every series: the shared list of the table's labels (connections opened: every series, 0 included)
    expect(sampleColumns(byName('sockscope_tcp_connections_opened_total'))?.labels).toBe(cwndColumns?.labels);
    expect(rttColumns?.labels).not.toBe(cwndColumns?.labels);
    const port = (l: Readonly<Record<string, string>>) => Number(Object.values(l).find((v) => /^4\d{4}$/.test(v))) - 40000;
    expect((cwnd.samples ?? []).map((s) => [port(s.labels), s.value])).toEqual(records.map((_, i) => [i, 10 + i]));
    expect((rtt.samples ?? []).map((s) => [port(s.labels), s.value])).toEqual([4, 6, 8, 10].map((i) => [i, (i + 1) / 1000]));
  });
});

describe('families of an earlier collection', () => {
  it('keep their samples while later collections fold other series into the lists the table reuses', () => {
    // the table writes each collection's list of active series over the one of the collection
    // before last: families emitted from it must hold lists of their own
    const f = createMetricFold({ folding: 'raw_endpoint', max_idle_series: 0 });
    const collect = (t: number, from: number, n: number): MetricFamily[] => {
      f.begin(t);
      for (let i = from; i < from + n; i++) f.add(socket(i, { sndCwnd: 1000 + i }));
      return f.end(true);
    };
    const cwndOf = (families: MetricFamily[]) => (families.find((x) => x.name === 'sockscope_tcp_cwnd_segments') as MetricFamily).samples?.map((s) => [s.labels.local_port ?? Object.values(s.labels).find((v) => /^4\d{4}$/.test(v)), s.value]);
    const first = collect(1_000, 0, 40);
    const firstColumns = sampleColumns(first.find((x) => x.name === 'sockscope_tcp_cwnd_segments') as MetricFamily);
    const firstLabels = [...(firstColumns?.labels ?? [])];
    const firstValues = Array.from(firstColumns?.values ?? []).slice(0, firstColumns?.length);
    // other sockets, fewer and then more, so the reused lists are cut and grown
    const second = collect(2_000, 100, 10);
    const third = collect(3_000, 200, 70);
    const fourth = collect(4_000, 300, 25);
    expect(firstColumns?.labels).toEqual(firstLabels);
    expect(Array.from(firstColumns?.values ?? []).slice(0, firstColumns?.length)).toEqual(firstValues);
    expect(cwndOf(first)).toEqual(Array.from({ length: 40 }, (_, i) => [String(40000 + i), 1000 + i]));
    expect(cwndOf(second)).toEqual(Array.from({ length: 10 }, (_, i) => [String(40100 + i), 1100 + i]));
    expect(cwndOf(third)).toEqual(Array.from({ length: 70 }, (_, i) => [String(40200 + i), 1200 + i]));
    expect(cwndOf(fourth)).toEqual(Array.from({ length: 25 }, (_, i) => [String(40300 + i), 1300 + i]));
  });
});
