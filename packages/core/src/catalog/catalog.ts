import type { OtelMapping } from '../types/family.js';
import { ADDRESS_FAMILY_VALUES, CONNECTION_STATE_VALUES } from './otel.js';
import type { LifecycleKind, MetricCatalogEntry } from './types.js';

/**
 * Our label names → OpenTelemetry semantic-convention attributes: every label a folding strategy,
 * the listen-queue aggregates or the info gauges produce. `direction`, `unit`, `netns`,
 * `remote_space`, `workload` and the packed `flow` label have no semconv attribute and keep their
 * names (`remote_space` is sockscope's own classification, like `direction`; `workload` is
 * inferred from the pod name and its kind varies, where the conventions have one attribute per
 * kind: `k8s.deployment.name`, `k8s.statefulset.name`…). The socket-count labels (`protocol`,
 * `family`, `state`) are not here: only `sockscope_sockets` has them, and its own mapping
 * ({@link socketLabelMap}) also maps their values; a `family` label elsewhere (that of
 * `sockscope_series_dropped`) names a metric family, not an address family.
 *
 * `container` holds the Kubernetes container name (the pod spec's) when the owner is in a pod and
 * the runtime's name (Docker, Podman, nerdctl) otherwise; one label maps to one attribute, and it
 * is `k8s.container.name`: the label is named after the Kubernetes convention, Kubernetes is where
 * the name is read without an API, and `container.name` is by definition the runtime's globally
 * unique name, which under Kubernetes is not the pod spec's. `runtime` is `container.runtime.name`
 * (the conventions renamed `container.runtime` to it).
 */
export const flowLabelMap: Readonly<Record<string, string>> = Object.freeze({
  src: 'network.local.address',
  src_port: 'network.local.port',
  local_port: 'network.local.port',
  dst: 'network.peer.address',
  dst_port: 'network.peer.port',
  pid: 'process.pid',
  process: 'process.executable.name',
  container_id: 'container.id',
  pod_uid: 'k8s.pod.uid',
  namespace: 'k8s.namespace.name',
  pod: 'k8s.pod.name',
  container: 'k8s.container.name',
  image: 'container.image.name',
  runtime: 'container.runtime.name',
});

/** `sockscope_sockets{protocol,family,state}` → `network.transport`, `network.type`, `network.connection.state`. */
export const socketLabelMap: Readonly<Record<string, string>> = Object.freeze({
  protocol: 'network.transport',
  family: 'network.type',
  state: 'network.connection.state',
});

/** {@link flowLabelMap} with `state` (`flows.state_label` on `sockscope_flow_sockets`). */
export const flowStateLabelMap: Readonly<Record<string, string>> = Object.freeze({ ...flowLabelMap, state: 'network.connection.state' });

/**
 * {@link flowLabelMap} with `reason` as `error.type`, the conventions' attribute for the class of
 * an error (`refused`, `timeout`).
 */
export const flowReasonLabelMap: Readonly<Record<string, string>> = Object.freeze({ ...flowLabelMap, reason: 'error.type' });

const otel = (name: string, unit: string, extra: Partial<OtelMapping> = {}): OtelMapping => ({
  name,
  unit,
  labelMap: flowLabelMap,
  ...extra,
});

const ssHelp = {
  rtt: 'tcp socket perflow rtt stats',
  cwnd: 'tcp socket perflow congestionwindow stats',
  rate: 'tcp socket perflow delivery rate stats',
  segsIn: 'tcp socket perflow data segments in',
  segsOut: 'tcp socket perflow data segments out',
  hist: 'tcp flowslatency outline',
};

/**
 * Every metric sockscope derives from socket records, in output order. Per-flow families get
 * the folding strategy's labels; aggregates are bounded by construction. The RTT histogram is
 * named `sockscope_tcp_rtt_distribution_seconds` so that it cannot collide with the per-flow
 * gauge family `sockscope_tcp_rtt_seconds` and carries no type word (promtool flags `histogram` in a name); a histogram named after the gauge would expose
 * `sockscope_tcp_rtt_seconds_bucket` beside a gauge of the base name, which Prometheus
 * rejects as one name with two types.
 */
const entries: MetricCatalogEntry[] = [
  {
    id: 'tcp_rtt',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Smoothed TCP round-trip time of the flow (worst of the folded sockets).',
    prometheus: 'sockscope_tcp_rtt_seconds',
    otel: otel('sockscope.tcp.rtt', 's'),
    scope: 'flow',
    source: { path: 'tcp.rttUs', scale: 1e-6 },
    merge: 'max',
    defaultOn: true,
    compat: { name: 'tcp_rtt', help: ssHelp.rtt, scale: 1000, otel: otel('sockscope.compat.tcp.rtt', 'ms') },
  },
  {
    id: 'tcp_min_rtt',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Minimum TCP round-trip time seen by the flow (best of the folded sockets).',
    prometheus: 'sockscope_tcp_min_rtt_seconds',
    otel: otel('sockscope.tcp.min_rtt', 's'),
    scope: 'flow',
    source: { path: 'tcp.minRttUs', scale: 1e-6 },
    merge: 'min',
    defaultOn: true,
  },
  {
    id: 'tcp_cwnd',
    kind: 'gauge',
    unit: 'segments',
    help: 'TCP congestion window of the flow (smallest of the folded sockets).',
    prometheus: 'sockscope_tcp_cwnd_segments',
    otel: otel('sockscope.tcp.cwnd', '{segment}'),
    scope: 'flow',
    source: { path: 'tcp.sndCwnd', scale: 1 },
    merge: 'min',
    defaultOn: true,
    compat: { name: 'tcp_cwnd', help: ssHelp.cwnd, scale: 1, otel: otel('sockscope.compat.tcp.cwnd', '{segment}') },
  },
  {
    id: 'tcp_delivery_rate',
    kind: 'gauge',
    unit: 'bytes_per_second',
    help: 'TCP delivery rate of the flow (sum over the folded sockets).',
    prometheus: 'sockscope_tcp_delivery_rate_bytes_per_second',
    otel: otel('sockscope.tcp.delivery_rate', 'By/s'),
    scope: 'flow',
    source: { path: 'tcp.deliveryRate', scale: 1 },
    merge: 'sum',
    defaultOn: true,
    compat: {
      name: 'tcp_delivery_rate',
      help: ssHelp.rate,
      scale: 1,
      omitZero: true,
      otel: otel('sockscope.compat.tcp.delivery_rate', 'By/s'),
    },
  },
  counter('tcp_retransmits', 'sockscope_tcp_retransmits_total', 'tcp.totalRetrans', 'segments', 'TCP segments retransmitted by the flow.', 'sockscope.tcp.retransmits', '{segment}'),
  counter('tcp_bytes_acked', 'sockscope_tcp_bytes_acked_total', 'tcp.bytesAcked', 'bytes', 'Bytes the peer acknowledged.', 'sockscope.tcp.bytes_acked', 'By'),
  counter('tcp_bytes_received', 'sockscope_tcp_bytes_received_total', 'tcp.bytesReceived', 'bytes', 'Bytes received in order.', 'sockscope.tcp.bytes_received', 'By'),
  counter('tcp_bytes_sent', 'sockscope_tcp_bytes_sent_total', 'tcp.bytesSent', 'bytes', 'Bytes sent, retransmissions included.', 'sockscope.tcp.bytes_sent', 'By'),
  counter('tcp_bytes_retransmitted', 'sockscope_tcp_bytes_retransmitted_total', 'tcp.bytesRetrans', 'bytes', 'Bytes retransmitted.', 'sockscope.tcp.bytes_retransmitted', 'By'),
  {
    ...counter('tcp_data_segments_in', 'sockscope_tcp_data_segments_in_total', 'tcp.dataSegsIn', 'segments', 'TCP segments carrying data received.', 'sockscope.tcp.data_segments_in', '{segment}'),
    compat: { name: 'tcp_data_segs_in', help: ssHelp.segsIn, scale: 1, otel: otel('sockscope.compat.tcp.data_segs_in', '{segment}') },
  },
  {
    ...counter('tcp_data_segments_out', 'sockscope_tcp_data_segments_out_total', 'tcp.dataSegsOut', 'segments', 'TCP segments carrying data sent.', 'sockscope.tcp.data_segments_out', '{segment}'),
    compat: { name: 'tcp_data_segs_out', help: ssHelp.segsOut, scale: 1, otel: otel('sockscope.compat.tcp.data_segs_out', '{segment}') },
  },
  queue('socket_receive_queue', 'sockscope_socket_receive_queue_bytes', 'recvQueue', 'Bytes waiting in the receive queue (sum over the folded sockets).', 'sockscope.socket.receive_queue'),
  queue('socket_send_queue', 'sockscope_socket_send_queue_bytes', 'sendQueue', 'Bytes waiting in the send queue (sum over the folded sockets).', 'sockscope.socket.send_queue'),
  {
    id: 'flow_sockets',
    kind: 'gauge',
    unit: 'sockets',
    help: 'Sockets folded into each flow series (off by default: use it to see what folding merged; flows.state_label adds their state).',
    prometheus: 'sockscope_flow_sockets',
    // its optional `state` label (flows.state_label) is the convention's network.connection.state
    otel: otel('sockscope.flow.sockets', '{socket}', { labelMap: flowStateLabelMap, values: { state: CONNECTION_STATE_VALUES } }),
    scope: 'flow',
    aggregate: 'flow_count',
    merge: 'sum',
    defaultOn: false,
  },
  lifecycle(
    'tcp_connections_opened',
    'counter',
    'sockscope_tcp_connections_opened_total',
    'TCP connections of the flow first seen: alive in a collection, or closed before any collection saw them (each socket once).',
    'sockscope.tcp.connection.opened',
    'connections_opened',
  ),
  lifecycle(
    'tcp_connections_closed',
    'counter',
    'sockscope_tcp_connections_closed_total',
    'TCP connections of the flow the kernel destroyed (a sock_diag destroy event; each socket once).',
    'sockscope.tcp.connection.closed',
    'connections_closed',
  ),
  lifecycle(
    'tcp_connect_failures',
    'counter',
    'sockscope_tcp_connect_failures_total',
    'Outbound TCP connects that never established, by reason: refused (answered by a reset) or timeout (no answer to the SYNs).',
    'sockscope.tcp.connect.failures',
    'connect_failures',
  ),
  lifecycle(
    'tcp_connection_duration',
    'histogram',
    'sockscope_tcp_connection_duration_seconds',
    'Lifetimes of closed TCP connections, from their first sighting to their destroy event.',
    'sockscope.tcp.connection.duration',
    'connection_duration',
  ),
  {
    id: 'sockets',
    kind: 'gauge',
    unit: 'sockets',
    help: 'Sockets seen in the last collection, by protocol, address family and state.',
    prometheus: 'sockscope_sockets',
    // An UpDownCounter in the conventions; kernel state names become the convention's values
    // (TIME_WAIT → time_wait), and only address families are a network.type.
    otel: otel('system.network.connection.count', '{connection}', {
      labelMap: socketLabelMap,
      values: { family: ADDRESS_FAMILY_VALUES, state: CONNECTION_STATE_VALUES },
      monotonic: false,
    }),
    scope: 'aggregate',
    aggregate: 'socket_count',
    labels: ['protocol', 'family', 'state'],
    merge: 'sum',
    defaultOn: true,
  },
  {
    id: 'tcp_listen_queue_length',
    kind: 'gauge',
    unit: 'connections',
    help: 'Connections waiting to be accepted on a TCP listening port (sum over its listeners).',
    prometheus: 'sockscope_tcp_listen_queue_length',
    otel: otel('sockscope.tcp.listen_queue.length', '{connection}'),
    scope: 'aggregate',
    aggregate: 'listen_queue',
    source: { path: 'recvQueue', scale: 1 },
    labels: ['local_port', 'process'],
    merge: 'sum',
    defaultOn: true,
  },
  {
    id: 'tcp_listen_queue_limit',
    kind: 'gauge',
    unit: 'connections',
    help: 'Accept backlog limit of a TCP listening port (sum over its listeners).',
    prometheus: 'sockscope_tcp_listen_queue_limit',
    otel: otel('sockscope.tcp.listen_queue.limit', '{connection}'),
    scope: 'aggregate',
    aggregate: 'listen_queue',
    source: { path: 'sendQueue', scale: 1 },
    labels: ['local_port', 'process'],
    merge: 'sum',
    defaultOn: true,
  },
  {
    id: 'container_info',
    kind: 'gauge',
    unit: 'containers',
    help: 'Always 1: the names of each container that owned a socket in the last collection (join on container_id).',
    prometheus: 'sockscope_container_info',
    otel: otel('sockscope.container.info', '1'),
    scope: 'aggregate',
    aggregate: 'container_info',
    labels: ['container_id', 'container', 'pod', 'namespace', 'image', 'runtime', 'workload'],
    merge: 'last',
    defaultOn: true,
  },
  {
    id: 'process_info',
    kind: 'gauge',
    unit: 'processes',
    help: 'Always 1: each process that owned a socket in the last collection, with its systemd unit and container (join on pid).',
    prometheus: 'sockscope_process_info',
    otel: otel('sockscope.process.info', '1'),
    scope: 'aggregate',
    aggregate: 'process_info',
    labels: ['pid', 'process', 'unit', 'container_id'],
    merge: 'last',
    defaultOn: true,
  },
  // issue 21 (fleet map): the join table from an address to the workload that owns it
  {
    id: 'workload_address_info',
    kind: 'gauge',
    unit: 'addresses',
    help: 'Always 1: each local address (not loopback, link-local or wildcard) of a socket owned by a container in the last collection, with its names (join on address).',
    prometheus: 'sockscope_workload_address_info',
    otel: otel('sockscope.workload.address.info', '1'),
    scope: 'aggregate',
    aggregate: 'workload_address_info',
    labels: ['address', 'namespace', 'pod', 'container', 'workload'],
    merge: 'last',
    defaultOn: true,
  },
  {
    id: 'tcp_rtt_histogram',
    kind: 'histogram',
    unit: 'seconds',
    help: 'Round-trip times of every selected TCP flow, each observed once per collection (cumulative).',
    prometheus: 'sockscope_tcp_rtt_distribution_seconds',
    otel: otel('sockscope.tcp.rtt.distribution', 's'),
    scope: 'aggregate',
    aggregate: 'rtt_histogram',
    source: { path: 'tcp.rttUs', scale: 1e-6 },
    labels: [],
    merge: 'sum',
    defaultOn: true,
    compat: { name: 'tcp_rtt_hist_ms', help: ssHelp.hist, scale: 1000, otel: otel('sockscope.compat.tcp.rtt_hist', 'ms') },
  },
];
entries.push(seriesDropped(entries));
export const metricCatalog: readonly MetricCatalogEntry[] = Object.freeze(entries);

/**
 * `sockscope_series_dropped{family}`: its `family` label holds the Prometheus name of a per-flow
 * family or an info gauge (both capped by `max_series`). Over OTLP it is the attribute `sockscope.metric`, holding that family's OTel name
 * (`sockscope_tcp_rtt_seconds` → `sockscope.tcp.rtt`, the compat profile's `tcp_rtt` →
 * `sockscope.compat.tcp.rtt`), never `network.type`.
 */
function seriesDropped(flows: readonly MetricCatalogEntry[]): MetricCatalogEntry {
  const names: Record<string, string> = {};
  for (const e of flows) {
    if (e.scope !== 'flow' && !isInfoGauge(e)) continue;
    names[e.prometheus] = e.otel.name;
    if (e.compat) names[e.compat.name] = e.compat.otel.name;
  }
  return {
    id: 'series_dropped',
    kind: 'gauge',
    unit: 'series',
    help: 'Per-flow series folded into the "other" series, and info series left out, by max_series in the last collection, by family.',
    prometheus: 'sockscope_series_dropped',
    otel: { name: 'sockscope.series.dropped', unit: '{series}', labelMap: { family: 'sockscope.metric' }, values: { family: Object.freeze(names) } },
    scope: 'aggregate',
    aggregate: 'series_dropped',
    labels: ['family'],
    merge: 'sum',
    defaultOn: true,
  };
}

function counter(id: string, prometheus: string, path: string, unit: string, help: string, otelName: string, ucum: string): MetricCatalogEntry {
  return {
    id,
    kind: 'counter',
    unit,
    help,
    prometheus,
    otel: otel(otelName, ucum, { monotonic: true }),
    scope: 'flow',
    source: { path, scale: 1 },
    merge: 'sum',
    defaultOn: true,
  };
}

/** A per-flow lifecycle family (see LifecycleKind): counted by the fold, not read from a socket field. */
function lifecycle(id: string, kind: 'counter' | 'histogram', prometheus: string, help: string, otelName: string, aggregate: LifecycleKind): MetricCatalogEntry {
  const failures = aggregate === 'connect_failures';
  const histogram = kind === 'histogram';
  return {
    id,
    kind,
    unit: histogram ? 'seconds' : 'connections',
    help,
    prometheus,
    otel: otel(otelName, histogram ? 's' : '{connection}', failures ? { labelMap: flowReasonLabelMap, monotonic: true } : histogram ? {} : { monotonic: true }),
    scope: 'flow',
    aggregate,
    ...(failures ? { labels: ['reason'] } : {}),
    merge: 'sum',
    defaultOn: true,
  };
}

/** True for the lifecycle families (opened, closed, connect failures, durations). */
export function isLifecycle(e: MetricCatalogEntry): boolean {
  return e.aggregate === 'connections_opened' || e.aggregate === 'connections_closed' || e.aggregate === 'connect_failures' || e.aggregate === 'connection_duration';
}

function queue(id: string, prometheus: string, path: string, help: string, otelName: string): MetricCatalogEntry {
  return {
    id,
    kind: 'gauge',
    unit: 'bytes',
    help,
    prometheus,
    otel: otel(otelName, 'By'),
    scope: 'flow',
    source: { path, scale: 1 },
    merge: 'sum',
    defaultOn: true,
  };
}

/** True for the info gauges (`sockscope_container_info`, `sockscope_process_info`, `sockscope_workload_address_info`): one series per owner or address, value 1. */
export function isInfoGauge(e: MetricCatalogEntry): boolean {
  return e.aggregate === 'container_info' || e.aggregate === 'process_info' || e.aggregate === 'workload_address_info';
}

/** The catalog entry with this id, or undefined. */
export function catalogEntry(id: string): MetricCatalogEntry | undefined {
  return metricCatalog.find((e) => e.id === id);
}
