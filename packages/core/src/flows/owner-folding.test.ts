import { describe, expect, it } from 'vitest';
import { foldRecords } from '../pipeline/list.js';
import type { ContainerInfo, SocketRecord } from '../types/socket.js';
import { createFlowKeyer, ownerLabels } from './fold.js';
import { createMetricFold } from './metric-fold.js';
import type { FoldingStrategy } from './schema.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

// Issue 16: `container` folding keys on names at the most specific level a record has, and
// `service` and `peer` folding carry the remote address space.

const ID = 'c0ffee'.repeat(10) + 'abcd';
const k8s: ContainerInfo = Object.freeze({ id: ID, runtime: 'containerd', podUid: 'u-1', name: 'nginx', pod: 'web-7d9c-xk2p', namespace: 'prod', systemdUnit: 'cri-containerd-x.scope', unitName: 'cri-containerd-x' });
const k8sNoName: ContainerInfo = Object.freeze({ id: ID, pod: 'web-7d9c-xk2p', namespace: 'prod' });
const docker: ContainerInfo = Object.freeze({ id: ID, runtime: 'docker', name: 'compose-web-1', systemdUnit: 'docker-x.scope' });
const bareId: ContainerInfo = Object.freeze({ id: ID, runtime: 'docker', systemdUnit: 'docker-x.scope' });
const unit: ContainerInfo = Object.freeze({ systemdUnit: 'postgresql.service', unitKind: 'service', unitName: 'postgresql' });
const unitOnly: ContainerInfo = Object.freeze({ systemdUnit: 'session-3.scope' });

const owner = (container: ContainerInfo | undefined, comm = 'nginx'): SocketRecord =>
  tcpSocket({ process: { pid: 7, comm }, ...(container ? { container } : {}) });

describe('container folding: the most specific owner', () => {
  const table: Array<[string, SocketRecord, Record<string, string>]> = [
    ['Kubernetes: namespace, pod, container name', owner(k8s), { namespace: 'prod', pod: 'web-7d9c-xk2p', container: 'nginx', unit: '', process: '' }],
    ['Kubernetes, container name unknown: the short id', owner(k8sNoName), { namespace: 'prod', pod: 'web-7d9c-xk2p', container: ID.slice(0, 12), unit: '', process: '' }],
    ['a named container (Docker/Podman/nerdctl)', owner(docker), { namespace: '', pod: '', container: 'compose-web-1', unit: '', process: '' }],
    ['a container with no name: its 12-character short id', owner(bareId), { namespace: '', pod: '', container: ID.slice(0, 12), unit: '', process: '' }],
    ['a systemd unit: its human name', owner(unit, 'postgres'), { namespace: '', pod: '', container: '', unit: 'postgresql', process: '' }],
    ['a systemd unit without a human name: as systemd spells it', owner(unitOnly, 'bash'), { namespace: '', pod: '', container: '', unit: 'session-3.scope', process: '' }],
    ['nothing but a process: its comm', owner(undefined, 'curl'), { namespace: '', pod: '', container: '', unit: '', process: 'curl' }],
    ['no process either: every label empty', tcpSocket(), { namespace: '', pod: '', container: '', unit: '', process: '' }],
  ];

  it.each(table)('%s', (_name, s, labels) => {
    expect(ownerLabels(s)).toEqual(labels);
    const keyer = createFlowKeyer('container', 'separate');
    expect(keyer.labelNames).toEqual(['namespace', 'pod', 'container', 'unit', 'process']);
    expect(keyer.labels(s, false, keyer.key(s, false))).toEqual(labels);
    const packed = createFlowKeyer('container', 'flow').key(s, false);
    expect(packed).toBe(`(NAMESPACE#${labels.namespace})(POD#${labels.pod})(CTR#${labels.container})(UNIT#${labels.unit})(PROC#${labels.process})`);
  });

  it('gives every level its own key: a unit and a process of the same name are two series, two processes of one container one', () => {
    const keyer = createFlowKeyer('container', 'separate');
    const asUnit = owner({ systemdUnit: 'nginx.service', unitName: 'nginx' }, 'x');
    const asProcess = owner(undefined, 'nginx');
    expect(keyer.key(asUnit, false)).not.toBe(keyer.key(asProcess, false));
    expect(keyer.key(owner(k8s, 'nginx'), false)).toBe(keyer.key(owner(k8s, 'sidecar'), true));
  });

  it('folds sockets of one pod container into one series through the metric fold', () => {
    const records = [
      tcpSocket({ cookie: 1n, remote: { address: '10.1.0.1', port: 5432 }, process: { pid: 7, comm: 'nginx' }, container: k8s }),
      tcpSocket({ cookie: 2n, remote: { address: '10.1.0.2', port: 5432 }, process: { pid: 8, comm: 'nginx' }, container: k8s }),
      tcpSocket({ cookie: 3n, remote: { address: '10.1.0.3', port: 5432 }, process: { pid: 9, comm: 'postgres' }, container: unit }),
    ];
    const out = foldRecords(createMetricFold({ folding: 'container', families: { flow_sockets: true } }), T0, records);
    expect(out.find((f) => f.name === 'sockscope_flow_sockets')?.samples?.map((s) => ({ ...s.labels, n: s.value }))).toEqual([
      { namespace: 'prod', pod: 'web-7d9c-xk2p', container: 'nginx', unit: '', process: '', n: 2 },
      { namespace: '', pod: '', container: '', unit: 'postgresql', process: '', n: 1 },
    ]);
  });

  it('gets no netns label even when many namespaces are read (it folds across them by design)', () => {
    expect(createFlowKeyer('container', 'separate', { netns: true }).labelNames).toEqual(['namespace', 'pod', 'container', 'unit', 'process']);
  });
});

describe('remote_space on service and peer folding', () => {
  const samples = (folding: FoldingStrategy, records: SocketRecord[], style: 'separate' | 'flow' = 'separate', namespaces: 'one' | 'many' = 'one'): Array<Record<string, string | number>> =>
    (foldRecords(createMetricFold({ folding, label_style: style, families: { flow_sockets: true } }, { namespaces }), T0, records).find((f) => f.name === 'sockscope_flow_sockets')?.samples ?? []).map((s) => ({ ...s.labels, n: s.value }));

  const web = { pid: 10, comm: 'nginx' };
  // inbound on 443 from the Internet twice and from the LAN once; outbound to a private and a public peer
  const records = [
    listener(443, { process: web }),
    tcpSocket({ cookie: 1n, local: { address: '10.0.0.1', port: 443 }, remote: { address: '8.8.8.8', port: 50001 }, process: web }),
    tcpSocket({ cookie: 2n, local: { address: '10.0.0.1', port: 443 }, remote: { address: '1.1.1.1', port: 50002 }, process: web }),
    tcpSocket({ cookie: 3n, local: { address: '10.0.0.1', port: 443 }, remote: { address: '192.168.0.9', port: 50003 }, process: web }),
    tcpSocket({ cookie: 4n, local: { address: '10.0.0.1', port: 41000 }, remote: { address: '10.5.0.5', port: 5432 }, process: web }),
    tcpSocket({ cookie: 5n, family: 'ipv6', local: { address: '::ffff:10.0.0.1', port: 41001 }, remote: { address: '::ffff:93.184.216.34', port: 443 }, process: web }),
  ];

  it('service: inbound on one port is split by the peers\' address space; outbound carries it too (v4-mapped as IPv4)', () => {
    expect(samples('service', records)).toEqual([
      { direction: 'inbound', process: 'nginx', local_port: '443', dst: '', dst_port: '', remote_space: 'public', n: 2 },
      { direction: 'inbound', process: 'nginx', local_port: '443', dst: '', dst_port: '', remote_space: 'private', n: 1 },
      { direction: 'outbound', process: 'nginx', local_port: '', dst: '10.5.0.5', dst_port: '5432', remote_space: 'private', n: 1 },
      { direction: 'outbound', process: 'nginx', local_port: '', dst: '::ffff:93.184.216.34', dst_port: '443', remote_space: 'public', n: 1 },
    ]);
  });

  it('peer: one series per peer with its address space', () => {
    expect(samples('peer', records.slice(4))).toEqual([
      { process: 'nginx', dst: '10.5.0.5', dst_port: '5432', remote_space: 'private', n: 1 },
      { process: 'nginx', dst: '::ffff:93.184.216.34', dst_port: '443', remote_space: 'public', n: 1 },
    ]);
  });

  it('takes the direction enricher\'s remoteSpace when the record has one', () => {
    const s = tcpSocket({ remote: { address: '10.5.0.5', port: 5432 }, remoteSpace: 'public', process: web });
    expect(samples('peer', [s])[0]).toMatchObject({ remote_space: 'public' });
  });

  it('packs it as (RSPACE#space), before the (NS#…) part when many namespaces are read', () => {
    expect(samples('service', records, 'flow').map((s) => s.flow)).toEqual([
      '(nginx)(SVC#443)(RSPACE#public)',
      '(nginx)(SVC#443)(RSPACE#private)',
      '(nginx)(DST#10.5.0.5|5432)(RSPACE#private)',
      '(nginx)(DST#::ffff:93.184.216.34|443)(RSPACE#public)',
    ]);
    const inNs = records.slice(4, 5).map((s) => ({ ...s, netns: 4026532001, netnsName: 'blue' }));
    expect(samples('peer', inNs, 'flow', 'many').map((s) => s.flow)).toEqual(['(nginx)(DST#10.5.0.5|5432)(RSPACE#private)(NS#blue)']);
    expect(samples('service', inNs, 'separate', 'many')[0]).toEqual({
      direction: 'outbound', process: 'nginx', local_port: '', dst: '10.5.0.5', dst_port: '5432', remote_space: 'private', netns: 'blue', n: 1,
    });
  });
});
