// The OTLP export against the OpenTelemetry semantic conventions, on families core itself renders
// (the metric fold, the host renderer, the collection renderer): the defects of issue 14, each
// named, and "every family core renders has an OTLP counterpart".
import { createMetricFold, foldRecords, renderCollection, type HostStats, type MetricFamily, type SocketRecord, type SocketState } from '@sockscope/core';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { SeriesStarts } from './series-starts.js';
import { familiesToMetricData } from './to-metric-data.js';

const T0 = 1_700_000_000_000;

function convert(families: readonly MetricFamily[]) {
  const reports: string[] = [];
  const metrics = familiesToMetricData(families, { nowMs: T0, starts: new SeriesStarts(), report: (_k, m) => void reports.push(m) });
  const byName = (n: string) => metrics.find((m) => m.descriptor.name === n) as MetricData;
  return { metrics, reports, byName };
}

let nextPort = 40000;
/** A socket as a collector reports it: TCP on loopback unless told otherwise. */
function socket(state: SocketState, over: Partial<SocketRecord> = {}): SocketRecord {
  const port = nextPort++;
  return {
    protocol: 'tcp',
    family: 'ipv4',
    state,
    local: { address: '127.0.0.1', port },
    remote: { address: '127.0.0.1', port: 8080 },
    inode: port,
    cookie: BigInt(port),
    uid: 0,
    recvQueue: 0,
    sendQueue: 0,
    tcp: { rttUs: 100 + port - 40000 },
    ...over,
  };
}

/** One socket in every state the kernel (Linux) reports, plus a unix and an IPv6 one. */
const everyState: SocketRecord[] = [
  socket('LISTEN', { remote: { address: '0.0.0.0', port: 0 } }),
  ...(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING', 'NEW_SYN_RECV'] as const).map((s) => socket(s)),
  socket('ESTABLISHED', { family: 'ipv6', local: { address: '::1', port: 41000 }, remote: { address: '::1', port: 8080 } }),
  socket('ESTABLISHED', { protocol: 'unix', family: 'unix', local: { address: '/run/x.sock', port: 0 }, remote: { address: '', port: 0 } }),
];

// The values network.connection.state may take (OpenTelemetry semantic conventions, registry
// `network` attributes: the enum of network.connection.state).
const CONVENTION_STATES = new Set(['closed', 'close_wait', 'closing', 'established', 'fin_wait_1', 'fin_wait_2', 'last_ack', 'listen', 'syn_received', 'syn_sent', 'time_wait']);

describe('OTLP by the semantic conventions (issue 14)', () => {
  it('system.network.connection.count is exported as a Gauge: it must be a non-monotonic cumulative sum (UpDownCounter)', () => {
    const { byName } = convert(foldRecords(createMetricFold(), T0, everyState));
    const conns = byName('system.network.connection.count');
    expect(conns).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false, aggregationTemporality: AggregationTemporality.CUMULATIVE });
    expect(conns.descriptor.unit).toBe('{connection}');
  });

  it('network.connection.state values are the convention\'s lowercase names, not the kernel\'s TIME_WAIT', () => {
    const families = foldRecords(createMetricFold(), T0, everyState);
    const { byName, reports } = convert(families);
    const points = byName('system.network.connection.count').dataPoints;
    const states = points.map((p) => p.attributes['network.connection.state']);
    expect(states.filter((s) => !CONVENTION_STATES.has(String(s)))).toEqual([]);
    const tcp = (state: string) => points.find((p) => p.attributes['network.transport'] === 'tcp' && p.attributes['network.type'] === 'ipv4' && p.attributes['network.connection.state'] === state)?.value;
    expect(tcp('time_wait')).toBe(1);
    expect(tcp('fin_wait_1')).toBe(1);
    expect(tcp('closed')).toBe(1);
    expect(tcp('listen')).toBe(1);
    expect(tcp('established')).toBe(1);
    // a request minisocket (NEW_SYN_RECV) is a connection in SYN-RECEIVED, as `ss` shows it: it
    // joins the full SYN_RECV socket under syn_received, the two counts summed
    expect(tcp('syn_received')).toBe(2);
    // every socket is still counted once
    const total = (families.find((f) => f.name === 'sockscope_sockets')?.samples ?? []).reduce((a, s) => a + s.value, 0);
    expect(points.reduce((a, p) => a + (p.value as number), 0)).toBe(total);
    expect(reports).toEqual([]);
  });

  it('network.type is only ever an address family: a unix socket carries network.transport=unix and no network.type', () => {
    const { byName } = convert(foldRecords(createMetricFold(), T0, everyState));
    const points = byName('system.network.connection.count').dataPoints;
    expect(new Set(points.map((p) => p.attributes['network.type']))).toEqual(new Set(['ipv4', 'ipv6', undefined]));
    const unix = points.filter((p) => p.attributes['network.transport'] === 'unix');
    expect(unix.map((p) => [p.attributes['network.type'], p.value])).toEqual([[undefined, 1]]);
  });

  it('sockscope.series.dropped carries its Prometheus family name under network.type: the family must go under an attribute of its own', () => {
    const flows = Array.from({ length: 6 }, () => socket('ESTABLISHED'));
    const families = foldRecords(createMetricFold({ folding: 'raw_endpoint', max_series: 2 }), T0, flows);
    const dropped = families.find((f) => f.name === 'sockscope_series_dropped');
    expect(dropped?.samples?.some((s) => s.value > 0)).toBe(true);
    const { byName, reports } = convert(families);
    const points = byName('sockscope.series.dropped').dataPoints;
    expect(points.every((p) => p.attributes['network.type'] === undefined)).toBe(true);
    // one point per Prometheus sample, told apart by the OTel name of the family it counts
    expect(points).toHaveLength(dropped?.samples?.length ?? -1);
    const rtt = points.find((p) => p.attributes['sockscope.metric'] === 'sockscope.tcp.rtt');
    expect(rtt?.value).toBe(dropped?.samples?.find((s) => s.labels.family === 'sockscope_tcp_rtt_seconds')?.value);
    expect(reports).toEqual([]);
  });

  it('sums samples a value map brings together only in a sum; in a gauge the repeat is reported and skipped', () => {
    const values = { state: { A: 'x', B: 'x' } };
    const sum: MetricFamily = { name: 's', help: 'h', type: 'gauge', otel: { name: 's', unit: '1', values, monotonic: false }, samples: [{ labels: { state: 'A' }, value: 2 }, { labels: { state: 'B' }, value: 3 }] };
    const gauge: MetricFamily = { name: 'g', help: 'h', type: 'gauge', otel: { name: 'g', unit: '1', values }, samples: [{ labels: { state: 'A' }, value: 2 }, { labels: { state: 'B' }, value: 3 }] };
    const { byName, reports } = convert([sum, gauge]);
    expect(byName('s').dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ state: 'x' }, 5]]);
    expect(byName('g').dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ state: 'x' }, 2]]);
    expect(reports).toEqual([expect.stringContaining('family g repeats a series of g')]);
  });

  it('exports a family without a mapping under its derived name, and refuses a mapping whose name is no valid instrument name', () => {
    const plugin: MetricFamily = { name: 'myplugin_queue_depth', help: 'h', type: 'gauge', samples: [{ labels: { queue: 'a', empty: '' }, value: 7 }] };
    const bad: MetricFamily = { name: 'b', help: 'h', type: 'gauge', otel: { name: '1bad name', unit: '1' }, samples: [{ labels: {}, value: 1 }] };
    const { metrics, byName, reports } = convert([plugin, bad]);
    expect(metrics.map((m) => m.descriptor.name)).toEqual(['myplugin.queue_depth']);
    // an empty label is no attribute
    expect(byName('myplugin.queue_depth').dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ queue: 'a' }, 7]]);
    expect(reports).toEqual([expect.stringContaining('family b maps to "1bad name", which is not a valid OpenTelemetry instrument name')]);
  });

  it('pushes every family core renders — host netstat, sockstat, conntrack and softnet counters included — each sample once, values equal', () => {
    const host: HostStats = {
      interfaces: [
        { device: 'lo', counters: { receive_bytes: 10, transmit_bytes: 20, receive_fifo: 1, transmit_colls: 2 }, info: { operstate: 'up', mtu: 65536, address: '00:00:00:00:00:00', flags: 9, carrierChanges: 0, speedBytes: 1250000 } },
      ],
      protocols: { Tcp: { RetransSegs: 12, CurrEstab: 3, InSegs: 99 }, TcpExt: { ListenOverflows: 1, TCPSynRetrans: 2 }, Ip6: { InOctets: 9 }, Udp: { InDatagrams: 5 } },
      sockstat: { sockets: { used: 16 }, TCP: { inuse: 4, mem: 372, mem_bytes: 372 * 4096 }, FRAG6: { inuse: 0, memory: 0 } },
      conntrack: { entries: 3, limit: 262144, stats: { found: 1, invalid: 2, ignore: 3, insert: 4, insert_failed: 5, drop: 6, early_drop: 7, search_restart: 8 } },
      softnet: [{ cpu: 0, processed: 8, dropped: 0, timesSqueezed: 1, backlogLen: 0 }, { cpu: 1, processed: 9, dropped: 1, timesSqueezed: 0, backlogLen: 2 }],
    };
    const metrics = foldRecords(createMetricFold({ families: { flow_sockets: true } }), T0, everyState);
    const families = renderCollection({ timestamp: T0, socketCount: everyState.length, host, families: [], status: [{ name: 'linux-procfs', success: true, durationSeconds: 0.01 }], folds: { metrics } } as never);
    const { metrics: out, reports } = convert(families);
    expect(reports).toEqual([]);
    const points = out.reduce((a, m) => a + m.dataPoints.length, 0);
    // state values that meet under one OTel value (NEW_SYN_RECV and SYN_RECV) are one point
    const merged = 1;
    const samples = families.reduce((a, f) => a + (f.samples?.length ?? 0) + (f.histograms?.length ?? 0), 0);
    expect(points).toBe(samples - merged);
    const names = out.map((m) => m.descriptor.name);
    for (const name of ['node.netstat.tcp.retrans_segs', 'node.netstat.tcp_ext.listen_overflows', 'node.sockstat.tcp.inuse', 'node.sockstat.tcp.mem_bytes', 'system.network.conntrack.count', 'system.network.conntrack.max', 'node.nf_conntrack.stat.insert_failed', 'node.softnet.processed', 'node.softnet.times_squeezed', 'node.network.receive_fifo', 'node.network.up', 'node.network.info']) {
      expect(names, name).toContain(name);
    }
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_.]*$/);
  });
});
