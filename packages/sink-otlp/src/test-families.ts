// Test fixtures: families shaped like the catalog's, built by hand (host counters after
// node_exporter, per-flow families, a histogram, and one family OTLP must not export).
import type { MetricFamily } from '@sockscope/core';

const io = (dir: 'receive' | 'transmit', rx: number, tx: number): MetricFamily => ({
  name: `node_network_${dir}_bytes_total`,
  help: `Network device statistic ${dir}_bytes.`,
  type: 'counter',
  otel: { name: 'system.network.io', unit: 'By', attributes: { 'network.io.direction': dir }, labelMap: { device: 'network.interface.name' } },
  samples: [
    { labels: { device: 'lo' }, value: dir === 'receive' ? rx : tx },
    { labels: { device: 'eth0' }, value: dir === 'receive' ? rx * 2 : tx * 2 },
  ],
});

/** Host families: bytes both ways merged into system.network.io, and packet drops. */
export function hostFamilies(rx = 1000, tx = 500): MetricFamily[] {
  return [
    io('receive', rx, tx),
    io('transmit', rx, tx),
    {
      name: 'node_network_receive_drop_total',
      help: 'Network device statistic receive_drop.',
      type: 'counter',
      otel: { name: 'system.network.packet.dropped', unit: '{packet}', attributes: { 'network.io.direction': 'receive' }, labelMap: { device: 'network.interface.name' } },
      samples: [{ labels: { device: 'lo' }, value: 3 }],
    },
  ];
}

/** One per-flow series per peer port: a counter, a gauge (RTT, seconds) and an RTT histogram. */
export function flowFamilies(peerPorts: readonly number[], bytes = 4096): MetricFamily[] {
  const labels = (port: number) => ({ local_address: '127.0.0.1', local_port: '8020', peer_address: '127.0.0.1', peer_port: String(port), pid: '4242', comm: 'node' });
  const labelMap = {
    local_address: 'network.local.address',
    local_port: 'network.local.port',
    peer_address: 'network.peer.address',
    peer_port: 'network.peer.port',
    pid: 'process.pid',
    comm: 'process.executable.name',
  };
  return [
    {
      name: 'sockscope_flow_bytes_acked_total',
      help: 'Bytes acknowledged by the peer.',
      type: 'counter',
      otel: { name: 'sockscope.flow.bytes_acked', unit: 'By', labelMap },
      samples: peerPorts.map((p) => ({ labels: labels(p), value: bytes })),
    },
    {
      name: 'sockscope_flow_rtt_seconds',
      help: 'Smoothed round-trip time.',
      type: 'gauge',
      otel: { name: 'sockscope.flow.rtt', unit: 's', labelMap },
      samples: peerPorts.map((p) => ({ labels: labels(p), value: 0.000125 })),
    },
    {
      name: 'sockscope_flow_rtt_histogram_seconds',
      help: 'RTT of every kept socket.',
      type: 'histogram',
      otel: { name: 'sockscope.flow.rtt_distribution', unit: 's', labelMap },
      histograms: peerPorts.map((p) => ({ labels: labels(p), bounds: [0.001, 0.01, 0.1], counts: [2, 3, 3], sum: 0.0123, count: 4 })),
    },
  ];
}

/** A family without an OTel mapping: exported under the name core derives (`sockscope.build_info`). */
export const prometheusOnly: MetricFamily = {
  name: 'sockscope_build_info',
  help: 'Build facts.',
  type: 'gauge',
  samples: [{ labels: { version: '0.0.0' }, value: 1 }],
};
