import { describe, expect, it } from 'vitest';
import { tcpSocket } from '../flows/sockets.fixture.js';
import { catalogEntry, flowLabelMap, isLifecycle, metricCatalog, socketLabelMap } from './catalog.js';
import { compileSource } from './source.js';

describe('metricCatalog', () => {
  it('has the issue\'s default per-flow families and always-safe aggregates, on by default', () => {
    expect(metricCatalog.filter((e) => e.defaultOn).map((e) => e.prometheus)).toEqual([
      'sockscope_tcp_rtt_seconds',
      'sockscope_tcp_min_rtt_seconds',
      'sockscope_tcp_cwnd_segments',
      'sockscope_tcp_delivery_rate_bytes_per_second',
      'sockscope_tcp_retransmits_total',
      'sockscope_tcp_bytes_acked_total',
      'sockscope_tcp_bytes_received_total',
      'sockscope_tcp_bytes_sent_total',
      'sockscope_tcp_bytes_retransmitted_total',
      'sockscope_tcp_data_segments_in_total',
      'sockscope_tcp_data_segments_out_total',
      'sockscope_socket_receive_queue_bytes',
      'sockscope_socket_send_queue_bytes',
      // issue 18: connection lifecycle, per flow (opened, closed, failed connects, durations)
      'sockscope_tcp_connections_opened_total',
      'sockscope_tcp_connections_closed_total',
      'sockscope_tcp_connect_failures_total',
      'sockscope_tcp_connection_duration_seconds',
      'sockscope_sockets',
      'sockscope_tcp_listen_queue_length',
      'sockscope_tcp_listen_queue_limit',
      // issue 16: info gauges (join tables of owners), on by default
      'sockscope_container_info',
      'sockscope_process_info',
      // issue 21: address → workload join table of the fleet map
      'sockscope_workload_address_info',
      'sockscope_tcp_rtt_distribution_seconds',
      'sockscope_series_dropped',
    ]);
  });

  it('has unique ids and valid, non-colliding Prometheus names', () => {
    const ids = metricCatalog.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // a histogram exposes _bucket/_sum/_count: none of those may be another family's name
    const exposed = metricCatalog.flatMap((e) => (e.kind === 'histogram' ? [e.prometheus, `${e.prometheus}_bucket`, `${e.prometheus}_sum`, `${e.prometheus}_count`] : [e.prometheus]));
    expect(new Set(exposed).size).toBe(exposed.length);
    for (const e of metricCatalog) {
      expect(e.prometheus).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      expect(e.prometheus.endsWith('_total')).toBe(e.kind === 'counter');
    }
  });

  it('says where every per-flow value comes from, and each path reads a real field', () => {
    const s = tcpSocket({ recvQueue: 7, sendQueue: 9 });
    for (const e of metricCatalog) {
      // the lifecycle families are counted by the fold from sightings and closed records (issue 18)
      if (e.scope !== 'flow' || e.aggregate === 'flow_count' || isLifecycle(e)) continue;
      expect(e.source, e.id).toBeDefined();
      expect(compileSource(e.source as NonNullable<typeof e.source>)(s), e.id).toBeTypeOf('number');
    }
  });

  it('maps every label to an OTel semantic-convention attribute where one exists', () => {
    expect(flowLabelMap).toMatchObject({
      src: 'network.local.address',
      src_port: 'network.local.port',
      dst: 'network.peer.address',
      dst_port: 'network.peer.port',
      pid: 'process.pid',
      process: 'process.executable.name',
      container_id: 'container.id',
      pod_uid: 'k8s.pod.uid',
    });
    // issue 14: protocol, family and state moved out of the map every catalog family shared (it
    // put sockscope_series_dropped's family — a metric name — under network.type) into the socket
    // count's own mapping, which also maps their values
    expect(flowLabelMap).not.toHaveProperty('family');
    expect(socketLabelMap).toEqual({ protocol: 'network.transport', family: 'network.type', state: 'network.connection.state' });
    expect(catalogEntry('sockets')?.otel).toMatchObject({ name: 'system.network.connection.count', labelMap: socketLabelMap, monotonic: false });
    for (const e of metricCatalog) {
      expect(e.otel.name).toMatch(/^[a-z][a-z0-9_.]*$/);
      expect(e.otel.unit.length).toBeGreaterThan(0);
      if (e.compat) expect(e.compat.otel.unit).not.toBe('');
    }
  });

  it('maps the owner labels (issue 16) to the semantic conventions\' k8s.*, container.* and process.* attributes', () => {
    expect(flowLabelMap).toMatchObject({
      namespace: 'k8s.namespace.name',
      pod: 'k8s.pod.name',
      pod_uid: 'k8s.pod.uid',
      // the pod spec's name under Kubernetes (see flowLabelMap for why not container.name)
      container: 'k8s.container.name',
      container_id: 'container.id',
      image: 'container.image.name',
      // container.runtime was renamed container.runtime.name in the conventions
      runtime: 'container.runtime.name',
      pid: 'process.pid',
      process: 'process.executable.name',
      dst: 'network.peer.address',
      dst_port: 'network.peer.port',
    });
    // no convention attribute: these keep their names
    for (const kept of ['remote_space', 'workload', 'unit', 'direction', 'netns']) expect(flowLabelMap).not.toHaveProperty(kept);
    for (const id of ['container_info', 'process_info']) {
      const e = catalogEntry(id);
      expect(e?.otel.labelMap, id).toBe(flowLabelMap);
      for (const label of e?.labels ?? []) expect(label === 'workload' || label === 'unit' || label in flowLabelMap, `${id} ${label}`).toBe(true);
    }
    expect(catalogEntry('container_info')).toMatchObject({ prometheus: 'sockscope_container_info', kind: 'gauge', defaultOn: true, labels: ['container_id', 'container', 'pod', 'namespace', 'image', 'runtime', 'workload'], otel: { name: 'sockscope.container.info', unit: '1' } });
    expect(catalogEntry('process_info')).toMatchObject({ prometheus: 'sockscope_process_info', kind: 'gauge', defaultOn: true, labels: ['pid', 'process', 'unit', 'container_id'], otel: { name: 'sockscope.process.info', unit: '1' } });
    // sockscope_series_dropped names an info gauge by its OTel name too
    expect(catalogEntry('series_dropped')?.otel.values?.family?.sockscope_container_info).toBe('sockscope.container.info');
  });

  it('carries the prometheus_ss_exporter names for the metrics it has', () => {
    expect(metricCatalog.filter((e) => e.compat).map((e) => [e.compat?.name, e.kind])).toEqual([
      ['tcp_rtt', 'gauge'],
      ['tcp_cwnd', 'gauge'],
      ['tcp_delivery_rate', 'gauge'],
      ['tcp_data_segs_in', 'counter'],
      ['tcp_data_segs_out', 'counter'],
      ['tcp_rtt_hist_ms', 'histogram'],
    ]);
  });
});

describe('compileSource', () => {
  it('scales to base units exactly and reads bigints', () => {
    const s = tcpSocket({ tcp: { rttUs: 38, bytesAcked: 123456789012n } });
    expect(compileSource({ path: 'tcp.rttUs', scale: 1e-6 })(s)).toBe(0.000038);
    expect(compileSource({ path: 'tcp.rttUs', scale: 1e-6 }, 1000)(s)).toBe(0.038);
    expect(compileSource({ path: 'tcp.bytesAcked', scale: 1 })(s)).toBe(123456789012);
    expect(compileSource({ path: 'tcp.rttUs', scale: 1 })({ ...s, tcp: undefined })).toBeUndefined();
    expect(() => compileSource({ path: 'a.b.c', scale: 1 })).toThrow(/deeper than two levels/);
  });
});

describe('the lifecycle families (issue 18)', () => {
  it('publish over OTLP as sockscope.tcp.connection.* with semantic-convention attributes', () => {
    expect(catalogEntry('tcp_connections_opened')).toMatchObject({ kind: 'counter', scope: 'flow', otel: { name: 'sockscope.tcp.connection.opened', unit: '{connection}', labelMap: flowLabelMap, monotonic: true } });
    expect(catalogEntry('tcp_connections_closed')).toMatchObject({ kind: 'counter', scope: 'flow', otel: { name: 'sockscope.tcp.connection.closed', unit: '{connection}', monotonic: true } });
    expect(catalogEntry('tcp_connect_failures')).toMatchObject({ kind: 'counter', labels: ['reason'], otel: { name: 'sockscope.tcp.connect.failures', unit: '{connection}' } });
    // the class of an error is error.type in the conventions
    expect(catalogEntry('tcp_connect_failures')?.otel.labelMap).toMatchObject({ ...flowLabelMap, reason: 'error.type' });
    expect(catalogEntry('tcp_connection_duration')).toMatchObject({ kind: 'histogram', unit: 'seconds', otel: { name: 'sockscope.tcp.connection.duration', unit: 's' } });
    // flows.state_label's state is network.connection.state, with the convention's values
    const sockets = catalogEntry('flow_sockets')?.otel;
    expect(sockets?.labelMap).toMatchObject({ ...flowLabelMap, state: 'network.connection.state' });
    expect(sockets?.values?.state?.TIME_WAIT).toBe('time_wait');
  });
});
