import { describe, expect, it } from 'vitest';
import { createMetricFold, type MetricFold } from '../flows/metric-fold.js';
import { foldRecords } from '../pipeline/list.js';
import { T0, tcpSocket } from '../flows/sockets.fixture.js';
import type { SocketRecord } from '../types/socket.js';

/** One collection of `records` through `fold`, as the pipeline feeds it. */
const once = (fold: MetricFold, records: SocketRecord[]) => foldRecords(fold, T0, records);
import type { MetricFamily } from '../types/family.js';
import { translateSsExporterConfig } from './translate.js';

// The README's sample flow, an IPv6 flow (which prometheus_ss_exporter dropped) and a flow with
// no known process (pid_condensed falls back to the raw form there, as it does).
const known = [
  tcpSocket({
    cookie: 1n,
    local: { address: '192.168.10.58', port: 39366 },
    remote: { address: '104.19.199.151', port: 443 },
    process: { pid: 20005, comm: 'firefox' },
    tcp: { rttUs: 53376, sndCwnd: 10, deliveryRate: 52000n, dataSegsIn: 120, dataSegsOut: 80 },
  }),
  tcpSocket({
    cookie: 2n,
    family: 'ipv6',
    local: { address: '2001:db8::5', port: 50000 },
    remote: { address: '2001:db8::1', port: 8443 },
    process: { pid: 20005, comm: 'firefox' },
    tcp: { rttUs: 38, sndCwnd: 12, deliveryRate: 0n, dataSegsIn: 3, dataSegsOut: 4 },
  }),
  tcpSocket({
    cookie: 3n,
    local: { address: '127.0.0.1', port: 58334 },
    remote: { address: '127.0.0.1', port: 22 },
    tcp: { rttUs: 2178, sndCwnd: 10, deliveryRate: 9000n, dataSegsIn: 1, dataSegsOut: 2 },
  }),
];

const full = {
  logic: {
    metrics: {
      histograms: { active: true, rtt: { active: true, bucketBounds: [0.1, 0.5, 1.0, 5.0, 10.0, 50.0, 100.0] } },
      gauges: { active: true, rtt: { active: true }, cwnd: { active: true }, deliveryRate: { active: true } },
      counters: { active: true, dataSegsIn: { active: true }, dataSegsOut: { active: true } },
    },
    compression: { labelFolding: 'raw_endpoint' },
  },
};

const plain = (out: MetricFamily[]) =>
  out.map((f) => ({
    name: f.name,
    type: f.type,
    samples: f.samples?.map((s) => [s.labels.flow, s.value]),
    histograms: f.histograms?.map((h) => ({ bounds: h.bounds, counts: h.counts, count: h.count, labels: h.labels })),
  }));

describe('compat profile output', () => {
  it('emits exactly its names, units and packed flow labels (raw_endpoint)', () => {
    const r = createMetricFold(translateSsExporterConfig(full).flows);
    const out = plain(once(r, known));
    const a = '(SRC#192.168.10.58|39366)(DST#104.19.199.151|443)';
    const b = '(SRC#2001:db8::5|50000)(DST#2001:db8::1|8443)';
    const c = '(SRC#127.0.0.1|58334)(DST#127.0.0.1|22)';
    expect(out).toEqual([
      { name: 'tcp_rtt', type: 'gauge', samples: [[a, 53.376], [b, 0.038], [c, 2.178]], histograms: undefined },
      { name: 'tcp_cwnd', type: 'gauge', samples: [[a, 10], [b, 12], [c, 10]], histograms: undefined },
      // it skips a zero delivery rate
      { name: 'tcp_delivery_rate', type: 'gauge', samples: [[a, 52000], [c, 9000]], histograms: undefined },
      { name: 'tcp_data_segs_in', type: 'counter', samples: [[a, 120], [b, 3], [c, 1]], histograms: undefined },
      { name: 'tcp_data_segs_out', type: 'counter', samples: [[a, 80], [b, 4], [c, 2]], histograms: undefined },
      {
        name: 'tcp_rtt_hist_ms',
        type: 'histogram',
        samples: undefined,
        histograms: [{ labels: {}, bounds: [0.1, 0.5, 1, 5, 10, 50, 100], counts: [1, 1, 1, 2, 2, 2, 3], count: 3 }],
      },
    ]);
  });

  it('packs (pid)(DST#ip|port) under pid_condensed, raw form when the pid is unknown', () => {
    const cfg = structuredClone(full);
    cfg.logic.compression.labelFolding = 'pid_condensed';
    const out = once(createMetricFold(translateSsExporterConfig(cfg).flows), known);
    expect(out.find((f) => f.name === 'tcp_cwnd')?.samples?.map((s) => s.labels)).toEqual([
      { flow: '(20005)(DST#104.19.199.151|443)' },
      { flow: '(20005)(DST#2001:db8::1|8443)' },
      { flow: '(SRC#127.0.0.1|58334)(DST#127.0.0.1|22)' },
    ]);
  });

  it('keeps histogram buckets cumulative across scrapes (its buckets restarted every scrape)', () => {
    const r = createMetricFold(translateSsExporterConfig(full).flows);
    once(r, known);
    const h = once(r, known).find((f) => f.name === 'tcp_rtt_hist_ms')?.histograms?.[0];
    expect(h?.counts).toEqual([2, 2, 2, 4, 4, 4, 6]);
    expect(h?.count).toBe(6);
  });

  it('counters keep counting across scrapes', () => {
    const r = createMetricFold(translateSsExporterConfig(full).flows);
    once(r, known);
    const later = known.map((s) => ({ ...s, tcp: { ...s.tcp, dataSegsIn: (s.tcp?.dataSegsIn ?? 0) + 10 } }));
    const out = once(r, later);
    expect(out.find((f) => f.name === 'tcp_data_segs_in')?.samples?.map((s) => s.value)).toEqual([130, 13, 11]);
  });
});

describe('compat selection with its bugs fixed', () => {
  const flowsFor = (selection: object) =>
    createMetricFold(translateSsExporterConfig({ logic: { metrics: { gauges: { active: true, rtt: { active: true } }, counters: { active: false } }, selection } }).flows);
  const flowsOut = (selection: object, sockets = known) =>
    once(flowsFor(selection), sockets)
      .find((f) => f.name === 'tcp_rtt')
      ?.samples?.map((s) => s.labels.flow);

  it('matches port ranges on either endpoint', () => {
    expect(flowsOut({ portRanges: [{ lower: 39000, upper: 40000 }] })).toEqual(['(SRC#192.168.10.58|39366)(DST#104.19.199.151|443)']);
    expect(flowsOut({ portranges: [{ lower: 8443, upper: 8443 }] })).toEqual(['(SRC#2001:db8::5|50000)(DST#2001:db8::1|8443)']);
  });

  it('matches CIDR networks numerically, IPv6 included', () => {
    const peers = ['10.200.1.1', '100.1.1.1', '10.0.0.0', '::ffff:10.3.3.3', '2001:db8::77', '2001:db9::1'].map((address, i) =>
      tcpSocket({ cookie: BigInt(10 + i), remote: { address, port: 443 } }),
    );
    const dsts = (sel: object) => flowsOut(sel, peers)?.map((f) => /DST#(.*)\|/.exec(f as string)?.[1]);
    expect(dsts({ peering: { networks: ['10.0.0.0/8', '2001:db8::/32'] } })).toEqual(['10.200.1.1', '10.0.0.0', '::ffff:10.3.3.3', '2001:db8::77']);
    expect(dsts({ peering: { networks: { exclude: ['10.0.0.0/8'] } } })).toEqual(['100.1.1.1', '2001:db8::77', '2001:db9::1']);
    expect(dsts({ peering: { addresses: ['2001:db8:0:0::77'] } })).toEqual(['2001:db8::77']);
  });

  it('combines sections with AND and values inside a section with OR', () => {
    expect(flowsOut({ process: { cmds: ['firefox'], pids: [1] }, portRanges: [{ lower: 443, upper: 443 }] })).toEqual([
      '(SRC#192.168.10.58|39366)(DST#104.19.199.151|443)',
    ]);
  });
});
