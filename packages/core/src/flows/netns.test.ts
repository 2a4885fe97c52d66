import { describe, expect, it } from 'vitest';
import { translateSsExporterConfig } from '../compat/translate.js';
import { foldRecords } from '../pipeline/list.js';
import type { MetricFamily } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { createMetricFold } from './metric-fold.js';
import type { FoldingStrategy } from './schema.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

// Issue 14: "raw_endpoint merges flows of different network namespaces" that share a 4-tuple.
// Two containers, each connecting 127.0.0.1:47802 → 127.0.0.1:47801 in its own namespace; a
// third namespace has no name (an inode only). The live version reads real namespaces
// (packages/collector-linux-netlink/test/fold-live.test.ts).

const app = { pid: 30, comm: 'app' };
const tuple = { local: { address: '127.0.0.1', port: 47802 }, remote: { address: '127.0.0.1', port: 47801 }, process: app };
const records: SocketRecord[] = [
  listener(47801, { netns: 4026532001, netnsName: 'ns1', local: { address: '127.0.0.1', port: 47801 }, process: app }),
  listener(47801, { netns: 4026532002, netnsName: 'ns2', local: { address: '127.0.0.1', port: 47801 }, process: app }),
  tcpSocket({ cookie: 1n, netns: 4026532001, netnsName: 'ns1', ...tuple, tcp: { rttUs: 100 } }),
  tcpSocket({ cookie: 2n, netns: 4026532002, netnsName: 'ns2', ...tuple, tcp: { rttUs: 200 } }),
  tcpSocket({ cookie: 3n, netns: 4026532003, ...tuple, tcp: { rttUs: 300 } }),
];

const samples = (out: MetricFamily[], name: string): Array<Record<string, string | number>> =>
  (out.find((f) => f.name === name)?.samples ?? []).map((s) => ({ ...s.labels, n: s.value }));
const fold = (folding: FoldingStrategy, namespaces?: 'one' | 'many', label_style: 'separate' | 'flow' = 'separate') =>
  foldRecords(createMetricFold({ folding, label_style, families: { flow_sockets: true } }, { namespaces }), T0, records);

describe('raw_endpoint merges flows of different network namespaces', () => {
  it('with more than one namespace read, raw_endpoint keeps each namespace apart under a netns label (name, else inode)', () => {
    expect(samples(fold('raw_endpoint', 'many'), 'sockscope_flow_sockets')).toEqual([
      { src: '127.0.0.1', src_port: '47802', dst: '127.0.0.1', dst_port: '47801', netns: 'ns1', n: 1 },
      { src: '127.0.0.1', src_port: '47802', dst: '127.0.0.1', dst_port: '47801', netns: 'ns2', n: 1 },
      { src: '127.0.0.1', src_port: '47802', dst: '127.0.0.1', dst_port: '47801', netns: '4026532003', n: 1 },
    ]);
  });

  it('every strategy that shows addresses carries netns; process and container do not', () => {
    for (const folding of ['raw_endpoint', 'pid_condensed', 'peer', 'service'] as const) {
      const out = samples(fold(folding, 'many'), 'sockscope_flow_sockets');
      expect(out.map((s) => s.netns), folding).toEqual(['ns1', 'ns2', '4026532003']);
      expect(out.every((s) => s.n === 1), folding).toBe(true);
    }
    expect(samples(fold('service', 'many'), 'sockscope_flow_sockets')[0]).toMatchObject({ direction: 'outbound', dst_port: '47801', netns: 'ns1' });
    for (const folding of ['process', 'container'] as const) {
      const out = samples(fold(folding, 'many'), 'sockscope_flow_sockets');
      expect(out, folding).toHaveLength(1);
      expect(out[0], folding).not.toHaveProperty('netns');
    }
  });

  it('the packed flow label gains a (NS#…) part only when more than one namespace is read', () => {
    expect(samples(fold('raw_endpoint', 'many', 'flow'), 'sockscope_flow_sockets').map((s) => s.flow)).toEqual([
      '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#ns1)',
      '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#ns2)',
      '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#4026532003)',
    ]);
    expect(samples(fold('pid_condensed', 'many', 'flow'), 'sockscope_flow_sockets')[1]?.flow).toBe('(30)(DST#127.0.0.1|47801)(NS#ns2)');
    const compat = translateSsExporterConfig({ logic: { compression: { labelFolding: 'raw_endpoint' } } }).flows;
    const many = foldRecords(createMetricFold(compat, { namespaces: 'many' }), T0, records);
    expect(samples(many, 'tcp_rtt')).toEqual([
      { flow: '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#ns1)', n: 0.1 },
      { flow: '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#ns2)', n: 0.2 },
      { flow: '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)(NS#4026532003)', n: 0.3 },
    ]);
    const one = foldRecords(createMetricFold(compat), T0, records);
    expect(samples(one, 'tcp_rtt')).toEqual([{ flow: '(SRC#127.0.0.1|47802)(DST#127.0.0.1|47801)', n: 0.3 }]);
  });

  it('with one namespace (the default) no label is added, and sockets of several namespaces are said once in notices()', () => {
    const metrics = createMetricFold({ folding: 'raw_endpoint', families: { flow_sockets: true } });
    const out = samples(foldRecords(metrics, T0, records.slice(2, 3)), 'sockscope_flow_sockets');
    expect(out).toEqual([{ src: '127.0.0.1', src_port: '47802', dst: '127.0.0.1', dst_port: '47801', n: 1 }]);
    expect(metrics.notices()).toEqual([]);
    foldRecords(metrics, T0 + 1, records);
    foldRecords(metrics, T0 + 2, records);
    expect(metrics.notices()).toEqual([
      'flows: sockets of more than one network namespace were folded without a netns label, so flows with the same addresses merge; ' +
        "create the metric fold with { namespaces: 'many' } (the agent does when collectors.linux-netlink.namespaces is all or a list)",
    ]);
  });

  it('refuses an unknown namespaces option', () => {
    expect(() => createMetricFold({}, { namespaces: 'two' as 'many' })).toThrow(/namespaces: must be 'one' or 'many'/);
  });
});
