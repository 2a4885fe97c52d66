import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { metricCatalog } from '@sockscope/core';

/** A family sockscope documents, with the label names its series carry (besides instance and job). */
export interface DocumentedFamily {
  /** Series name as Prometheus stores it (histograms: the `_bucket` series). */
  name: string;
  /** Label names every series may carry. */
  labels: readonly string[];
  /** Label names that must appear on at least one series (Prometheus drops empty labels, so some are absent on some series). */
  required: readonly string[];
  /** Why the family may be absent on this host, when it may be; undefined means it must be present. */
  absentBecause?: string;
}

/** True when the nf_conntrack module is loaded (node_nf_conntrack_* exist only then). */
export const conntrackLoaded = existsSync('/proc/sys/net/netfilter/nf_conntrack_count');

/** True when some interface reports a link speed (virtual NICs and loopback report none, so node_network_speed_bytes is absent). */
export const linkSpeedKnown = readdirSync('/sys/class/net').some((dev) => {
  try {
    return Number(readFileSync(`/sys/class/net/${dev}/speed`, 'utf8')) >= 0;
  } catch {
    return false;
  }
});

const device = { labels: ['device'], required: ['device'] };
const none = { labels: [], required: [] };
const conntrack = conntrackLoaded ? undefined : 'the nf_conntrack module is not loaded';

/**
 * Host families from packages/collector-linux-procfs/README.md ("Host counters": node_exporter's
 * names and labels), the ones the shipped rules, the dashboard and node_exporter guides use.
 */
export const HOST_FAMILIES: readonly DocumentedFamily[] = [
  ...['receive_bytes', 'transmit_bytes', 'receive_packets', 'transmit_packets', 'receive_drop', 'transmit_drop', 'receive_errs', 'transmit_errs']
    .map((k) => ({ name: `node_network_${k}_total`, ...device })),
  { name: 'node_network_up', ...device },
  { name: 'node_network_mtu_bytes', ...device },
  { name: 'node_network_info', labels: ['address', 'adminstate', 'broadcast', 'device', 'duplex', 'ifalias', 'operstate'], required: ['device', 'operstate'] },
  { name: 'node_network_speed_bytes', ...device, absentBecause: linkSpeedKnown ? undefined : 'no interface here reports a link speed' },
  ...['Tcp_RetransSegs', 'Tcp_OutSegs', 'Tcp_InSegs', 'Tcp_CurrEstab', 'Tcp_ActiveOpens', 'Tcp_PassiveOpens', 'TcpExt_ListenOverflows', 'TcpExt_ListenDrops', 'Udp_InDatagrams']
    .map((f) => ({ name: `node_netstat_${f}`, ...none })),
  ...['TCP_tw', 'TCP_inuse', 'TCP_orphan', 'TCP_alloc', 'UDP_inuse', 'sockets_used'].map((f) => ({ name: `node_sockstat_${f}`, ...none })),
  { name: 'node_nf_conntrack_entries', ...none, absentBecause: conntrack },
  { name: 'node_nf_conntrack_entries_limit', ...none, absentBecause: conntrack },
  { name: 'node_softnet_processed_total', labels: ['cpu'], required: ['cpu'] },
  { name: 'node_softnet_dropped_total', labels: ['cpu'], required: ['cpu'] },
];

/** The `service` folding strategy's labels (the embedded default); empty ones are dropped by Prometheus. */
export const SERVICE_FLOW_LABELS = ['direction', 'process', 'local_port', 'dst', 'dst_port', 'remote_space'] as const;

/**
 * sockscope's own families, straight from the metric catalog (every entry on by default) plus
 * the per-collector self-metrics. Per-flow families carry the folding labels.
 */
export const SOCKSCOPE_FAMILIES: readonly DocumentedFamily[] = [
  ...metricCatalog
    .filter((e) => e.defaultOn)
    .map((e): DocumentedFamily => {
      // issue 18: connect failures and durations have series only once a connect failed or a connection seen alive closed
      if (e.aggregate === 'connect_failures') return { name: e.prometheus, labels: [...SERVICE_FLOW_LABELS, 'reason'], required: ['direction', 'reason'], absentBecause: 'no outbound connect failed here' };
      if (e.aggregate === 'connection_duration') return { name: `${e.prometheus}_bucket`, labels: [...SERVICE_FLOW_LABELS, 'le'], required: ['direction', 'le'], absentBecause: 'no connection seen alive has closed here yet' };
      if (e.scope === 'flow') return { name: e.prometheus, labels: SERVICE_FLOW_LABELS, required: ['direction', 'remote_space'] };
      // one series per container owning a socket: none on a host whose sockets are all outside containers
      if (e.aggregate === 'container_info') return { name: e.prometheus, labels: e.labels ?? [], required: ['container_id'], absentBecause: 'no socket here is owned by a process in a container' };
      // a process outside containers and units has empty container_id and unit (dropped by Prometheus)
      // issue 21: one series per container-owned local address (not loopback): none without containers
      if (e.aggregate === 'workload_address_info') return { name: e.prometheus, labels: e.labels ?? [], required: ['address'], absentBecause: 'no socket here is owned by a process in a container' };
      if (e.aggregate === 'process_info') return { name: e.prometheus, labels: e.labels ?? [], required: ['pid', 'process'] };
      if (e.kind === 'histogram') return { name: `${e.prometheus}_bucket`, labels: [...(e.labels ?? []), 'le'], required: ['le'] };
      const labels = e.labels ?? [];
      // A listener's owning process may be unknown (label empty, so dropped); its port never is.
      const required = e.aggregate === 'listen_queue' ? ['local_port'] : labels;
      return { name: e.prometheus, labels, required };
    }),
  // the netlink collector's own destroy-event counters (its README, "Closed sockets in each collection")
  ...['sockscope_lifecycle_events_received_total', 'sockscope_lifecycle_events_dropped_total', 'sockscope_lifecycle_enobufs_total'].map((name) => ({ name, ...none })),
  { name: 'sockscope_scrape_collector_success', labels: ['collector'], required: ['collector'] },
  { name: 'sockscope_scrape_collector_duration_seconds', labels: ['collector'], required: ['collector'] },
];
