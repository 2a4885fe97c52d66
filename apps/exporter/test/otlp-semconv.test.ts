import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricCatalog, otelNameOf, type MetricType } from '@sockscope/core';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedExport, type ReceivedPoint } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startCli } from './run-cli.js';

// Issue 14, "OTLP by the semantic conventions, and all of it", end to end: the real CLI on the
// default collectors pushes to the in-repo OTLP receiver while /metrics is scraped. With
// collection.min_interval far longer than the test, every export and the scrape are served from
// one collection, so every /metrics family must have an OTLP counterpart with exactly its series
// and values. Live sockets put TIME_WAIT, FIN_WAIT2 and CLOSE_WAIT connections in the kernel's
// table, and a small max_series makes sockscope_series_dropped count something.
//
// What the test expects is written from the conventions and the sink README, not read from the
// code under test: the semantic-convention names, the label → attribute renames, the convention's
// network.connection.state values. Only names with no convention come from the documented
// derivation rule (core's otelNameOf, pinned by its own examples in core) and the catalog's
// declared sockscope.* names.

const SERVER_ADDR = '127.0.0.95';
const CLIENT_ADDR = '127.0.0.96';

/** Families with a semantic-convention metric (and the OTel Collector hostmetrics names for conntrack). */
const SEMCONV: Record<string, { name: string; attributes?: Record<string, string> }> = {
  node_network_receive_bytes_total: { name: 'system.network.io', attributes: { 'network.io.direction': 'receive' } },
  node_network_transmit_bytes_total: { name: 'system.network.io', attributes: { 'network.io.direction': 'transmit' } },
  node_network_receive_packets_total: { name: 'system.network.packet.count', attributes: { 'network.io.direction': 'receive' } },
  node_network_transmit_packets_total: { name: 'system.network.packet.count', attributes: { 'network.io.direction': 'transmit' } },
  node_network_receive_drop_total: { name: 'system.network.packet.dropped', attributes: { 'network.io.direction': 'receive' } },
  node_network_transmit_drop_total: { name: 'system.network.packet.dropped', attributes: { 'network.io.direction': 'transmit' } },
  node_network_receive_errs_total: { name: 'system.network.errors', attributes: { 'network.io.direction': 'receive' } },
  node_network_transmit_errs_total: { name: 'system.network.errors', attributes: { 'network.io.direction': 'transmit' } },
  node_nf_conntrack_entries: { name: 'system.network.conntrack.count' },
  node_nf_conntrack_entries_limit: { name: 'system.network.conntrack.max' },
  sockscope_sockets: { name: 'system.network.connection.count' },
  sockscope_scrape_collector_success: { name: 'sockscope.scrape.collector.success' },
  sockscope_scrape_collector_duration_seconds: { name: 'sockscope.scrape.collector.duration' },
  sockscope_otlp_exports_total: { name: 'sockscope.otlp.exports' },
  // the container enricher's cache self metrics, named as collector-linux-procfs's README declares them
  sockscope_owner_cache_hits_total: { name: 'sockscope.owner_cache.hits' },
  sockscope_owner_cache_misses_total: { name: 'sockscope.owner_cache.misses' },
  sockscope_owner_cache_evictions_total: { name: 'sockscope.owner_cache.evictions' },
  sockscope_owner_cache_entries: { name: 'sockscope.owner_cache.entries' },
  // the netlink collector's destroy-event counters (issue 18), named as collector-linux-netlink's README declares them
  sockscope_lifecycle_events_received_total: { name: 'sockscope.lifecycle.events.received' },
  sockscope_lifecycle_events_dropped_total: { name: 'sockscope.lifecycle.events.dropped' },
  sockscope_lifecycle_enobufs_total: { name: 'sockscope.lifecycle.enobufs' },
};

/** The catalog's declared OTel names of sockscope's own families (native and compat profile). */
const CATALOG = new Map<string, string>();
for (const e of metricCatalog) {
  CATALOG.set(e.prometheus, e.otel.name);
  if (e.compat) CATALOG.set(e.compat.name, e.compat.otel.name);
}

const otelName = (family: string, type: MetricType): string => SEMCONV[family]?.name ?? CATALOG.get(family) ?? otelNameOf(family, type);

/** Label → attribute renames (sink README), for every family. */
const LABELS: Record<string, string> = {
  device: 'network.interface.name',
  cpu: 'cpu.logical_number',
  src: 'network.local.address',
  src_port: 'network.local.port',
  local_port: 'network.local.port',
  dst: 'network.peer.address',
  dst_port: 'network.peer.port',
  pid: 'process.pid',
  process: 'process.executable.name',
  container_id: 'container.id',
  pod_uid: 'k8s.pod.uid',
};

/** network.connection.state of the conventions, from the kernel's state names (NEW_SYN_RECV is a connection in SYN-RECEIVED). */
const STATE: Record<string, string> = {
  ESTABLISHED: 'established', SYN_SENT: 'syn_sent', SYN_RECV: 'syn_received', NEW_SYN_RECV: 'syn_received', FIN_WAIT1: 'fin_wait_1',
  FIN_WAIT2: 'fin_wait_2', TIME_WAIT: 'time_wait', CLOSE: 'closed', CLOSE_WAIT: 'close_wait', LAST_ACK: 'last_ack', LISTEN: 'listen', CLOSING: 'closing',
};
const CONVENTION_STATES = new Set(Object.values(STATE));

/** The OTel attributes a /metrics series must have, as strings; an empty label is no attribute. */
function expectedAttributes(family: string, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...SEMCONV[family]?.attributes };
  for (const [k, v] of Object.entries(labels)) {
    if (v === '') continue;
    if (family === 'sockscope_sockets' && k === 'protocol') out['network.transport'] = v;
    // only an address family is a network.type; a unix socket has network.transport=unix
    else if (family === 'sockscope_sockets' && k === 'family') {
      if (v === 'ipv4' || v === 'ipv6') out['network.type'] = v;
    } else if (family === 'sockscope_sockets' && k === 'state') {
      if (STATE[v]) out['network.connection.state'] = STATE[v];
    } else if (family === 'sockscope_series_dropped' && k === 'family') out['sockscope.metric'] = CATALOG.get(v) ?? `unknown family ${v}`;
    else out[LABELS[k] ?? k] = v;
  }
  return out;
}

/** The OTLP shape a Prometheus family must have. */
function expectedShape(family: string, type: MetricType): string {
  if (type === 'histogram') return 'histogram';
  if (type === 'counter') return 'sum/monotonic';
  if (['sockscope_sockets', 'node_nf_conntrack_entries', 'node_nf_conntrack_entries_limit', 'node_netstat_tcp_connections'].includes(family)) return 'sum/up-down';
  // conntrack statistics: gauges to node_exporter, event counts since boot
  if (family.startsWith('node_nf_conntrack_stat_')) return 'sum/monotonic';
  // netstat: untyped to node_exporter; RFC 1213 gauges stay gauges, every other field counts events
  if (type === 'untyped' && family.startsWith('node_netstat_')) {
    return /^node_netstat_(Ip_Forwarding|Ip_DefaultTTL|Tcp_RtoAlgorithm|Tcp_RtoMin|Tcp_RtoMax|Tcp_MaxConn|Tcp_CurrEstab)$/.test(family) ? 'gauge' : 'sum/monotonic';
  }
  return 'gauge';
}

const shapeOf = (p: ReceivedPoint) => (p.type === 'sum' ? `sum/${p.monotonic ? 'monotonic' : 'up-down'}` : p.type);

interface PromSeries {
  labels: Record<string, string>;
  value?: number;
  buckets?: Array<[number, number]>;
  sum?: number;
  count?: number;
}
interface PromFamily {
  type: MetricType;
  series: Map<string, PromSeries>;
}

/** A sample value or `le` as Prometheus writes it (`+Inf`, `-Inf`, `NaN`). */
const num = (v: string | undefined) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
const unescape = (v: string) => v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));

/** Parses a Prometheus text exposition: families by name, with type, and series by labels (histograms with buckets, sum, count). */
function parseExposition(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) families.set(t[1] as string, { type: t[2] as MetricType, series: new Map() });
    if (!line || line.startsWith('#')) continue;
    const head = /^([a-zA-Z_:][\w:]*)/.exec(line)?.[1] as string;
    let rest = line.slice(head.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const re = /\s*,?\s*([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/y;
      re.lastIndex = 1;
      let m: RegExpExecArray | null;
      while ((m = re.exec(rest))) labels[m[1] as string] = unescape(m[2] as string);
      rest = rest.slice(rest.indexOf('}', re.lastIndex) + 1);
    }
    const value = num(rest.trim().split(/\s+/)[0]);
    const suffix = /_(bucket|sum|count)$/.exec(head);
    const base = suffix ? head.slice(0, -suffix[0].length) : head;
    const hist = families.get(base)?.type === 'histogram' ? base : undefined;
    const name = hist ?? head;
    const family = families.get(name) ?? { type: 'untyped' as MetricType, series: new Map() };
    families.set(name, family);
    const { le, ...own } = labels;
    const key = JSON.stringify(Object.entries(own).sort());
    const series = family.series.get(key) ?? { labels: own };
    family.series.set(key, series);
    if (!hist) series.value = value;
    else if (suffix?.[1] === 'bucket') (series.buckets ??= []).push([num(le), value]);
    else if (suffix?.[1] === 'sum') series.sum = value;
    else series.count = value;
  }
  return families;
}

const keyOf = (metric: string, attributes: Record<string, unknown>) =>
  `${metric} ${JSON.stringify(Object.entries(attributes).map(([k, v]) => [k, String(v)]).sort())}`;

let receiver: OtlpReceiver;
let dir = '';
let server: net.Server;
const sockets: net.Socket[] = [];

/** Connects a client from CLIENT_ADDR and waits until it is connected and the server holds its socket. */
async function client(port: number): Promise<net.Socket> {
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const c = net.connect({ port, host: SERVER_ADDR, localAddress: CLIENT_ADDR });
  await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
  sockets.push(c, await accepted);
  return c;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  dir = mkdtempSync(join(tmpdir(), 'otlp-semconv-'));
  // half-open: a client that ends leaves its server socket in CLOSE_WAIT until the server ends too
  server = net.createServer({ allowHalfOpen: true }, (s) => s.on('data', (d: Buffer) => s.write(d)));
  await new Promise<void>((r) => server.listen({ port: 0, host: SERVER_ADDR }, r));
  const port = (server.address() as net.AddressInfo).port;
  // established, with bytes both ways
  for (let i = 0; i < 3; i++) {
    const c = await client(port);
    const echoed = new Promise((r) => c.once('data', r));
    c.write(Buffer.alloc(1000 * (i + 1), 1));
    await echoed;
  }
  // FIN_WAIT2 (client) / CLOSE_WAIT (server): the client ends, the server does not
  (await client(port)).end();
  // TIME_WAIT (client): the client ends first, the server answers with its own FIN
  const tw = await client(port);
  const serverSide = sockets.at(-1) as net.Socket;
  serverSide.once('end', () => serverSide.end());
  tw.end();
  await new Promise((r) => tw.once('close', r));
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
  await receiver?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('OTLP by the semantic conventions, and all of it (issue 14), against the real CLI', () => {
  let got: ReceivedExport;
  let scraped: Map<string, PromFamily>;

  beforeAll(async () => {
    const config = join(dir, 'sockscope.yaml');
    writeFileSync(config, ['collection:', '  min_interval: 10m', 'flows:', '  folding: raw_endpoint', '  max_series: 3', '  families:', '    flow_sockets: true', ''].join('\n'));
    const cli = await startCli(['--config', config], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '200' },
    });
    try {
      await receiver.waitForExports(2, 15_000);
      const res = await httpGet(cli.port, '/metrics');
      expect(res.status).toBe(200);
      scraped = parseExposition(res.body);
      got = (await receiver.waitForExports(receiver.exports.length + 1, 15_000)).at(-1) as ReceivedExport;
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    // every export came from the one cached collection the scrape was served from
    const times = new Set(receiver.exports.flatMap((e) => e.points.map((p) => p.timeUnixNano)));
    expect(times.size).toBe(1);
  }, 60_000);

  it('system.network.connection.count is a non-monotonic cumulative sum (an UpDownCounter), not a Gauge', () => {
    const conns = got.points.filter((p) => p.metric === 'system.network.connection.count');
    expect(conns.length).toBeGreaterThan(0);
    for (const p of conns) expect([p.type, p.monotonic, p.temporality, p.unit]).toEqual(['sum', false, 2, '{connection}']);
  });

  it('network.connection.state values are the convention\'s lowercase names: TIME_WAIT, FIN_WAIT2 and CLOSE_WAIT of live sockets arrive as time_wait, fin_wait_2, close_wait', () => {
    const conns = got.points.filter((p) => p.metric === 'system.network.connection.count');
    const states = new Set(conns.map((p) => p.attributes['network.connection.state']));
    expect([...states].filter((s) => s !== undefined && !CONVENTION_STATES.has(String(s)))).toEqual([]);
    const prom = scraped.get('sockscope_sockets');
    for (const [kernel, convention] of [['TIME_WAIT', 'time_wait'], ['FIN_WAIT2', 'fin_wait_2'], ['CLOSE_WAIT', 'close_wait'], ['ESTABLISHED', 'established'], ['LISTEN', 'listen']]) {
      const want = [...(prom?.series.values() ?? [])].filter((s) => s.labels.protocol === 'tcp' && s.labels.state === kernel).reduce((a, s) => a + (s.value ?? 0), 0);
      expect(want, `${kernel} on /metrics`).toBeGreaterThan(0);
      const have = conns.filter((p) => p.attributes['network.transport'] === 'tcp' && p.attributes['network.connection.state'] === convention).reduce((a, p) => a + (p.value ?? 0), 0);
      expect(have, convention).toBe(want);
    }
  });

  it('sockscope.series.dropped names the family it counts under sockscope.metric, and network.type is only ever ipv4 or ipv6', () => {
    const dropped = got.points.filter((p) => p.metric === 'sockscope.series.dropped');
    expect(dropped.length).toBe(scraped.get('sockscope_series_dropped')?.series.size);
    expect(dropped.some((p) => (p.value ?? 0) > 0)).toBe(true);
    for (const p of dropped) expect(Object.keys(p.attributes)).toEqual(['sockscope.metric']);
    const types = new Set(got.points.flatMap((p) => ('network.type' in p.attributes ? [p.attributes['network.type']] : [])));
    expect([...types].filter((t) => t !== 'ipv4' && t !== 'ipv6')).toEqual([]);
  });

  it('every /metrics family has an OTLP counterpart with the same series and equal values, typed as the conventions say', () => {
    const expected = new Map<string, { value?: number; hist?: PromSeries; shape: string; from: string }>();
    const families = [...scraped].filter(([name]) => name !== 'sockscope_build_info');
    // host netstat, sockstat, conntrack and softnet, per-flow families, aggregates, the histogram, collector status and self
    // metrics, among them the agent's Node runtime (issue 14: a self-metrics provider now, no longer the Prometheus sink's own)
    for (const prefix of ['node_netstat_', 'node_sockstat_', 'node_softnet_', 'node_network_', 'sockscope_tcp_', 'sockscope_flow_sockets', 'sockscope_tcp_rtt_distribution_seconds', 'sockscope_scrape_collector_', 'sockscope_otlp_exports_total', 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(families.some(([n]) => n.startsWith(prefix)), prefix).toBe(true);
    }
    // The one exception: a NaN sample has no OTLP point (the OTLP sink skips non-finite values).
    // Only prom-client's event-loop lag gauges are NaN, when no delay was sampled since their last
    // read (mean and stddev of an empty histogram); every other runtime series must match.
    const notANumber: string[] = [];
    for (const [name, f] of families) {
      const metric = otelName(name, f.type);
      for (const s of f.series.values()) {
        if (s.value !== undefined && Number.isNaN(s.value)) {
          notANumber.push(name);
          continue;
        }
        const key = keyOf(metric, expectedAttributes(name, s.labels));
        const prior = expected.get(key);
        // series the conventions bring together (NEW_SYN_RECV and SYN_RECV are syn_received) add up
        if (prior && prior.from === name && prior.value !== undefined && s.value !== undefined) prior.value += s.value;
        else {
          expect(prior, `${name} ${JSON.stringify(s.labels)} meets ${prior?.from} under ${key}`).toBeUndefined();
          expected.set(key, { value: s.value, hist: f.type === 'histogram' ? s : undefined, shape: expectedShape(name, f.type), from: name });
        }
      }
    }
    expect(notANumber.filter((n) => !/^nodejs_eventloop_lag_(mean|stddev)_seconds$/.test(n)), 'NaN series').toEqual([]);
    const received = new Map(got.points.map((p) => [keyOf(p.metric, p.attributes), p]));
    expect([...received.keys()].filter((k) => !expected.has(k)), 'OTLP points with no /metrics series').toEqual([]);
    expect([...expected.keys()].filter((k) => !received.has(k)), '/metrics series with no OTLP point').toEqual([]);
    for (const [key, e] of expected) {
      const p = received.get(key) as ReceivedPoint;
      expect(shapeOf(p), `${e.from} → ${key}`).toBe(e.shape);
      if (p.type !== 'gauge') expect(p.temporality, key).toBe(2);
      if (!e.hist) {
        expect(p.value, key).toBe(e.value);
        continue;
      }
      // cumulative buckets on /metrics, per-bucket counts over OTLP (+Inf last)
      const finite = (e.hist.buckets ?? []).filter(([le]) => le !== Infinity);
      expect(p.histogram?.explicitBounds, key).toEqual(finite.map(([le]) => le));
      const cumulative = p.histogram?.bucketCounts.reduce<number[]>((a, c) => [...a, (a.at(-1) ?? 0) + c], []);
      expect(cumulative, key).toEqual((e.hist.buckets ?? []).map(([, c]) => c));
      expect([p.histogram?.count, p.histogram?.sum], key).toEqual([e.hist.count, e.hist.sum]);
    }
    for (const p of got.points) expect(p.metric).toMatch(/^[a-z][a-z0-9_.]*$/);
  });

  it('sockscope_build_info is the resource: service.version, process.runtime.*, os.type, host.arch', () => {
    const info = [...(scraped.get('sockscope_build_info')?.series.values() ?? [])][0]?.labels ?? {};
    expect(got.resource).toMatchObject({
      'service.version': info.version,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': info.nodeversion,
      'os.type': info.platform,
      'host.arch': info.arch === 'x64' ? 'amd64' : info.arch,
    });
  });
});
