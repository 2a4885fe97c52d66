import { describe, expect, it } from 'vitest';
import { foldRecords } from '../pipeline/list.js';
import type { SocketRecord } from '../types/socket.js';
import { createFlowKeyer } from './fold.js';
import { createMetricFold } from './metric-fold.js';
import type { FoldingStrategy } from './schema.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

const web = { pid: 10, comm: 'nginx' };
const ctr = { id: 'f'.repeat(64), podUid: 'pod-a', systemdUnit: 'cri-containerd-f.scope' };
// two clients of nginx:443, nginx calling a backend twice, and curl with no container
const sockets: SocketRecord[] = [
  listener(443, { process: web }),
  tcpSocket({ cookie: 1n, local: { address: '10.0.0.1', port: 443 }, remote: { address: '10.9.0.1', port: 50001 }, process: web, container: ctr }),
  tcpSocket({ cookie: 2n, local: { address: '10.0.0.1', port: 443 }, remote: { address: '10.9.0.2', port: 50002 }, process: web, container: ctr }),
  tcpSocket({ cookie: 3n, local: { address: '10.0.0.1', port: 41001 }, remote: { address: '10.5.0.5', port: 8080 }, process: web, container: ctr }),
  tcpSocket({ cookie: 4n, local: { address: '10.0.0.1', port: 41002 }, remote: { address: '10.5.0.5', port: 8080 }, process: web, container: ctr }),
  tcpSocket({ cookie: 5n, family: 'ipv6', local: { address: '::1', port: 42000 }, remote: { address: '::1', port: 8080 }, process: { pid: 11, comm: 'curl' } }),
];

function folded(folding: FoldingStrategy, label_style: 'separate' | 'flow' = 'separate') {
  const r = createMetricFold({ folding, label_style, families: { flow_sockets: true } });
  const f = foldRecords(r, T0, sockets).find((x) => x.name === 'sockscope_flow_sockets');
  return (f?.samples ?? []).map((s): Record<string, string | number> => ({ ...s.labels, n: s.value }));
}

describe('folding strategies (separate labels)', () => {
  it('raw_endpoint keeps every endpoint pair', () => {
    const out = folded('raw_endpoint');
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual({ src: '10.0.0.1', src_port: '443', dst: '10.9.0.1', dst_port: '50001', n: 1 });
    expect(out[4]).toEqual({ src: '::1', src_port: '42000', dst: '::1', dst_port: '8080', n: 1 });
  });

  it('pid_condensed replaces the local endpoint by the process', () => {
    expect(folded('pid_condensed')).toEqual([
      { pid: '10', process: 'nginx', dst: '10.9.0.1', dst_port: '50001', n: 1 },
      { pid: '10', process: 'nginx', dst: '10.9.0.2', dst_port: '50002', n: 1 },
      { pid: '10', process: 'nginx', dst: '10.5.0.5', dst_port: '8080', n: 2 },
      { pid: '11', process: 'curl', dst: '::1', dst_port: '8080', n: 1 },
    ]);
  });

  it('peer drops the pid and the local ephemeral port', () => {
    expect(folded('peer').map((x) => x.n)).toEqual([1, 1, 2, 1]);
    // issue 16: peer folding carries the remote address's space (label and key)
    expect(folded('peer')[2]).toEqual({ process: 'nginx', dst: '10.5.0.5', dst_port: '8080', remote_space: 'private', n: 2 });
  });

  it('service folds inbound onto the listening port and outbound onto the peer', () => {
    // issue 16: service folding carries the remote address's space (label and key)
    expect(folded('service')).toEqual([
      { direction: 'inbound', process: 'nginx', local_port: '443', dst: '', dst_port: '', remote_space: 'private', n: 2 },
      { direction: 'outbound', process: 'nginx', local_port: '', dst: '10.5.0.5', dst_port: '8080', remote_space: 'private', n: 2 },
      { direction: 'outbound', process: 'curl', local_port: '', dst: '::1', dst_port: '8080', remote_space: 'loopback', n: 1 },
    ]);
  });

  it('service trusts an enriched direction over the listening-port guess', () => {
    const r = createMetricFold({ families: { flow_sockets: true } });
    const s = tcpSocket({ local: { address: '10.0.0.1', port: 7000 }, remote: { address: '10.0.0.9', port: 1234 }, direction: 'inbound', process: web });
    const f = foldRecords(r, T0, [s]).find((x) => x.name === 'sockscope_flow_sockets');
    expect(f?.samples?.[0]?.labels).toMatchObject({ direction: 'inbound', local_port: '7000' });
  });

  it('process folds by command name', () => {
    expect(folded('process')).toEqual([
      { process: 'nginx', n: 4 },
      { process: 'curl', n: 1 },
    ]);
  });

  it('container folds by the most specific owner: here a container with no name (its short id), and a bare process', () => {
    // issue 16: names instead of ids (was container_id, pod_uid, unit); a container known only by
    // its id shows the 12-character short id, a socket with no container its process
    expect(folded('container')).toEqual([
      { namespace: '', pod: '', container: 'f'.repeat(12), unit: '', process: '', n: 4 },
      { namespace: '', pod: '', container: '', unit: '', process: 'curl', n: 1 },
    ]);
  });
});

describe('packed flow label', () => {
  it('follows prometheus_ss_exporter for raw_endpoint and pid_condensed, and packs the others alike', () => {
    const labels = (f: FoldingStrategy) => folded(f, 'flow').map((x) => x.flow);
    expect(labels('raw_endpoint')[0]).toBe('(SRC#10.0.0.1|443)(DST#10.9.0.1|50001)');
    expect(labels('pid_condensed')[2]).toBe('(10)(DST#10.5.0.5|8080)');
    // issue 16: peer and service end in the remote address space, container packs owner names
    expect(labels('peer')[3]).toBe('(curl)(DST#::1|8080)(RSPACE#loopback)');
    expect(labels('service')).toEqual(['(nginx)(SVC#443)(RSPACE#private)', '(nginx)(DST#10.5.0.5|8080)(RSPACE#private)', '(curl)(DST#::1|8080)(RSPACE#loopback)']);
    expect(labels('process')).toEqual(['(nginx)', '(curl)']);
    expect(labels('container')[1]).toBe('(NAMESPACE#)(POD#)(CTR#)(UNIT#)(PROC#curl)');
  });

  it('gives an "other" series whose every label is "other"', () => {
    expect(createFlowKeyer('service', 'separate').otherLabels).toEqual({
      direction: 'other', process: 'other', local_port: 'other', dst: 'other', dst_port: 'other', remote_space: 'other',
    });
    expect(createFlowKeyer('raw_endpoint', 'flow').otherLabels).toEqual({ flow: 'other' });
  });
});
