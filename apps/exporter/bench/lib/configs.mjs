// The temp configs the bench runs the sockscope CLI with. Each is checked with
// `sockscope check-config` before use, so a schema change fails the bench with a clear message.
import { translateSsExporterConfig } from '@sockscope/core';

// Every scrape collects afresh (no cached snapshot) and a 30k-connection collection is never cut short.
const collection = { min_interval: '0s', timeout: '60s' };

/** Enough series for every socket of the largest run (two sockets per connection, plus listeners). */
export const MAX_SERIES = 1_000_000;

/** The embedded default (flows folded by service, 10,000 series per family at most), collecting afresh. */
export const defaultConfig = () => ({ collection });

/**
 * The embedded default with the container enricher reading containerd state from `stateDir`
 * (the bench's fake bundles) instead of /run/containerd; every other runtime root stays default.
 */
export const containersOnConfig = (stateDir) => ({
  collection,
  enrichers: { container: { runtime_roots: { containerd: [stateDir] } } },
});

/** The embedded default with the container enricher off: what `containersOnConfig` is compared against. */
export const containersOffConfig = () => ({
  collection,
  enrichers: { container: { enabled: false } },
});

/** Per-flow metrics for every flow: one series per socket (src, src_port, dst, dst_port). */
export const rawEndpointConfig = () => ({
  collection,
  flows: { folding: 'raw_endpoint', max_series: MAX_SERIES },
});

/**
 * prometheus_ss_exporter's own config file with every metric on (its gauges rtt, cwnd,
 * deliveryRate; its counters dataSegsIn, dataSegsOut; its RTT histogram with the bounds of its
 * sample config) and `raw_endpoint` folding, as its users run it.
 */
export const SS_EXPORTER_FILE = {
  logic: {
    metrics: {
      histograms: { active: true, rtt: { active: true, bucketBounds: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000] } },
      gauges: { active: true, rtt: { active: true }, cwnd: { active: true }, deliveryRate: { active: true } },
      counters: { active: true, dataSegsIn: { active: true }, dataSegsOut: { active: true } },
    },
    compression: { labelFolding: 'raw_endpoint' },
  },
};

/**
 * The prometheus_ss_exporter format (issue 20): SS_EXPORTER_FILE as sockscope translates it (its
 * names and units, the packed `flow` label, `flows.compat: prometheus_ss_exporter`), counted the
 * same as rawEndpointConfig: `max_series` (and `max_idle_series`) unbounded instead of the
 * translation's 10,000, and collecting afresh. Process attribution stays on (the enrichers are
 * left at their defaults).
 */
export const ssExporterConfig = () => {
  const { flows } = translateSsExporterConfig(SS_EXPORTER_FILE);
  return { collection, flows: { ...flows, max_series: MAX_SERIES, max_idle_series: MAX_SERIES } };
};

/** Per-flow metrics folded by peer (process, dst, dst_port). */
export const peerConfig = () => ({
  collection,
  flows: { folding: 'peer', max_series: MAX_SERIES },
});

/** The soak's agent: a series per flow (by default), so churn keeps adding and dropping series. */
export const soakConfig = (folding = 'raw_endpoint') => ({
  collection: { min_interval: '0s', timeout: '30s' },
  flows: { folding, max_series: MAX_SERIES },
});

/** Host metrics only: the procfs host collector, no socket collector and no enrichers. */
export const hostOnlyConfig = () => ({
  collection,
  collectors: { 'linux-procfs': {}, 'linux-netlink': { enabled: false } },
  enrichers: { process: { enabled: false }, container: { enabled: false }, direction: { enabled: false } },
});

/** node_exporter's collectors that cover what sockscope's host collector does. */
export const NODE_EXPORTER_NET_FLAGS = [
  '--collector.disable-defaults',
  '--collector.netdev',
  '--collector.netclass',
  '--collector.netstat',
  '--collector.sockstat',
  '--collector.conntrack',
  '--collector.softnet',
];
