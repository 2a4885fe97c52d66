import { describe, expect, it } from 'vitest';
import { foldRecords } from '../pipeline/list.js';
import type { MetricFamily } from '../types/family.js';
import type { ContainerInfo, SocketRecord } from '../types/socket.js';
import { translateSsExporterConfig } from '../compat/translate.js';
import { createMetricFold } from './metric-fold.js';
import type { FlowsConfigInput } from './schema.js';
import { listener, T0, tcpSocket } from './sockets.fixture.js';

// Issue 16: sockscope_container_info and sockscope_process_info, one series (value 1) per distinct
// container id and per distinct owning pid among the collection's records, capped by max_series.

const idA = 'a'.repeat(64);
const idB = 'b'.repeat(64);
const podA: ContainerInfo = Object.freeze({ id: idA, runtime: 'containerd', name: 'nginx', pod: 'web-7d9c5b-xk2p9', namespace: 'prod', image: 'nginx:1.27', workload: 'web', systemdUnit: 'cri-containerd-a.scope', unitName: 'cri-containerd-a' });
const dockerB: ContainerInfo = Object.freeze({ id: idB, runtime: 'docker', name: 'db', image: 'postgres:16' });
const pgUnit: ContainerInfo = Object.freeze({ systemdUnit: 'postgresql.service', unitKind: 'service', unitName: 'postgresql' });

let cookie = 0n;
const sock = (pid: number, comm: string, container?: ContainerInfo, over: Partial<SocketRecord> = {}): SocketRecord =>
  tcpSocket({ cookie: ++cookie, remote: { address: '10.9.0.1', port: 5000 + Number(cookie) }, process: { pid, comm }, ...(container ? { container } : {}), ...over });

const records: SocketRecord[] = [
  listener(80, { process: { pid: 100, comm: 'nginx' }, container: podA }),
  sock(100, 'nginx', podA),
  sock(100, 'nginx', podA),
  sock(101, 'nginx', podA), // a second process of the same container: one container series, two process series
  sock(200, 'postgres', dockerB),
  // a copy of the same names (another object): still one series per container id
  sock(201, 'postgres', { ...dockerB }),
  sock(300, 'postgres', pgUnit),
  sock(400, 'curl'),
  // a TIME_WAIT socket has no owner: nothing
  tcpSocket({ state: 'TIME_WAIT', cookie: 999n }),
];

const family = (out: MetricFamily[], name: string) => out.find((f) => f.name === name);
const labelsOf = (out: MetricFamily[], name: string): Array<Record<string, string | number>> => (family(out, name)?.samples ?? []).map((s) => ({ ...s.labels, v: s.value }));
const dropped = (out: MetricFamily[], name: string) => family(out, 'sockscope_series_dropped')?.samples?.find((s) => s.labels.family === name)?.value;
const fold = (cfg: FlowsConfigInput, list: SocketRecord[] = records) => foldRecords(createMetricFold(cfg), T0, list);

describe('info gauges', () => {
  it('sockscope_container_info: one series per distinct container id, with its names', () => {
    const out = fold({});
    expect(family(out, 'sockscope_container_info')).toMatchObject({ type: 'gauge', otel: { name: 'sockscope.container.info' } });
    expect(labelsOf(out, 'sockscope_container_info')).toEqual([
      { container_id: idA, container: 'nginx', pod: 'web-7d9c5b-xk2p9', namespace: 'prod', image: 'nginx:1.27', runtime: 'containerd', workload: 'web', v: 1 },
      { container_id: idB, container: 'db', pod: '', namespace: '', image: 'postgres:16', runtime: 'docker', workload: '', v: 1 },
    ]);
  });

  it('sockscope_process_info: one series per distinct owning pid, with its unit and container', () => {
    expect(labelsOf(fold({}), 'sockscope_process_info')).toEqual([
      { pid: '100', process: 'nginx', unit: 'cri-containerd-a', container_id: idA, v: 1 },
      { pid: '101', process: 'nginx', unit: 'cri-containerd-a', container_id: idA, v: 1 },
      { pid: '200', process: 'postgres', unit: '', container_id: idB, v: 1 },
      { pid: '201', process: 'postgres', unit: '', container_id: idB, v: 1 },
      { pid: '300', process: 'postgres', unit: 'postgresql', container_id: '', v: 1 },
      { pid: '400', process: 'curl', unit: '', container_id: '', v: 1 },
    ]);
  });

  it('covers only the owners of this collection: a container gone from the records is gone from the family', () => {
    const m = createMetricFold({});
    foldRecords(m, T0, records);
    const next = foldRecords(m, T0 + 15_000, [sock(200, 'postgres', dockerB)]);
    expect(labelsOf(next, 'sockscope_container_info').map((l) => l.container_id)).toEqual([idB]);
    expect(labelsOf(next, 'sockscope_process_info').map((l) => l.pid)).toEqual(['200']);
  });

  it('is capped by max_series: the lowest ids and pids are kept, the rest counted in sockscope_series_dropped', () => {
    const out = fold({ max_series: 2 });
    expect(labelsOf(out, 'sockscope_container_info').map((l) => l.container_id)).toEqual([idA, idB]);
    expect(labelsOf(out, 'sockscope_process_info').map((l) => l.pid)).toEqual(['100', '101']);
    expect(dropped(out, 'sockscope_process_info')).toBe(4);
    expect(dropped(out, 'sockscope_container_info')).toBe(0);
    const one = fold({ max_series: 1 });
    expect(labelsOf(one, 'sockscope_container_info').map((l) => l.container_id)).toEqual([idA]);
    expect(dropped(one, 'sockscope_container_info')).toBe(1);
  });

  it('is not subject to selection: every owner seen is named, whatever flows are selected', () => {
    const out = fold({ folding: 'container', selection: { include: { namespaces: ['prod'] } } });
    expect(labelsOf(out, 'sockscope_container_info').map((l) => l.container_id)).toEqual([idA, idB]);
    expect(labelsOf(out, 'sockscope_process_info')).toHaveLength(6);
    // while the flows are the selected ones only
    expect(labelsOf(out, 'sockscope_tcp_rtt_seconds').map((l) => `${l.namespace}/${l.pod}/${l.container}`)).toEqual(['prod/web-7d9c5b-xk2p9/nginx']);
  });

  it('can be turned off by family id, and is absent under the prometheus_ss_exporter profile', () => {
    const off = fold({ families: { container_info: false, process_info: false } });
    expect(family(off, 'sockscope_container_info')).toBeUndefined();
    expect(family(off, 'sockscope_process_info')).toBeUndefined();
    expect(dropped(off, 'sockscope_container_info')).toBeUndefined();
    const { flows } = translateSsExporterConfig({ logic: { metrics: { gauges: { active: true, rtt: { active: true } } } } });
    expect(flows.families).toMatchObject({ container_info: false, process_info: false });
    expect(fold(flows).map((f) => f.name).filter((n) => n.includes('info'))).toEqual([]);
  });

  it('publishes an empty family when no socket has an owner', () => {
    const out = fold({}, [tcpSocket({ cookie: 1n })]);
    expect(family(out, 'sockscope_container_info')?.samples).toEqual([]);
    expect(family(out, 'sockscope_process_info')?.samples).toEqual([]);
  });

  // issue 21: the fleet map's join table, address → the container that owns it
  it('sockscope_workload_address_info: one series per container-owned local address, loopback, link-local and wildcard left out, v4-mapped as IPv4', () => {
    const list = [
      listener(80, { process: { pid: 100, comm: 'nginx' }, container: podA }), // 0.0.0.0: no address
      sock(100, 'nginx', podA, { local: { address: '10.1.2.3', port: 80 } }),
      sock(100, 'nginx', podA, { local: { address: '10.1.2.3', port: 80 } }),
      sock(101, 'nginx', { ...podA }, { local: { address: '::ffff:10.1.2.3', port: 80 } }), // the same address and names: one series
      sock(100, 'nginx', podA, { local: { address: '127.0.0.1', port: 80 } }),
      sock(100, 'nginx', podA, { local: { address: 'fe80::1', port: 80 } }),
      sock(200, 'postgres', dockerB, { local: { address: '2001:db8::5', port: 5432 } }),
      sock(300, 'postgres', pgUnit, { local: { address: '10.1.2.4', port: 5432 } }), // no container: not a workload address
      sock(400, 'curl', undefined, { local: { address: '10.1.2.5', port: 40000 } }),
    ];
    const out = fold({}, list);
    expect(family(out, 'sockscope_workload_address_info')).toMatchObject({ type: 'gauge', otel: { name: 'sockscope.workload.address.info' } });
    expect(labelsOf(out, 'sockscope_workload_address_info')).toEqual([
      { address: '10.1.2.3', namespace: 'prod', pod: 'web-7d9c5b-xk2p9', container: 'nginx', workload: 'web', v: 1 },
      { address: '2001:db8::5', namespace: '', pod: '', container: 'db', workload: '', v: 1 },
    ]);
    const capped = fold({ max_series: 1 }, list);
    expect(labelsOf(capped, 'sockscope_workload_address_info').map((l) => l.address)).toEqual(['10.1.2.3']);
    expect(dropped(capped, 'sockscope_workload_address_info')).toBe(1);
    expect(family(fold({ families: { workload_address_info: false } }, list), 'sockscope_workload_address_info')).toBeUndefined();
  });
});
