import type { MetricFamily } from '@sockscope/core';
import { NODE_EXPORTER_TCP_STATES } from '../parse/tcp-states.js';

/** What the netstat families are rendered from; each part absent when it was not read. */
export interface NetstatInputs {
  /** tcpstat counters by field name. */
  tcp?: Readonly<Record<string, number>>;
  /** udpstat counters by field name. */
  udp?: Readonly<Record<string, number>>;
  /** net.inet.tcp.states counts by TCPS_* number. */
  states?: readonly number[];
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: 'counter', samples: [{ labels: {}, value }] };
}

/**
 * The families node_exporter's FreeBSD netstat collector emits for TCP and UDP, same names,
 * labels and HELP (its ip4/ip6 families need ipstat layouts this collector does not read).
 */
export function netstatFamilies(inp: NetstatInputs): MetricFamily[] {
  const out: MetricFamily[] = [];
  if (inp.states) {
    out.push({
      name: 'node_netstat_tcp_connections',
      help: 'Number of TCP connections per state',
      type: 'gauge',
      otel: {
        name: 'system.network.connection.count',
        unit: '{connection}',
        attributes: { 'network.transport': 'tcp' },
        labelMap: { state: 'network.connection.state' },
        monotonic: false,
      },
      samples: NODE_EXPORTER_TCP_STATES.map((state, i) => ({ labels: { state }, value: inp.states?.[i] ?? 0 })),
    });
  }
  if (inp.tcp) {
    out.push(counter('node_netstat_tcp_transmit_packets_total', 'TCP packets sent', inp.tcp.sndtotal ?? 0));
    out.push(counter('node_netstat_tcp_receive_packets_total', 'TCP packets received', inp.tcp.rcvtotal ?? 0));
  }
  if (inp.udp) {
    out.push(counter('node_netstat_udp_transmit_packets_total', 'UDP packets sent', inp.udp.opackets ?? 0));
    out.push(counter('node_netstat_udp_receive_packets_total', 'UDP packets received', inp.udp.ipackets ?? 0));
  }
  return out;
}
