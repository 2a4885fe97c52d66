import { hostname } from 'node:os';
import { catalogEntry, createMetricFold, createPipeline, createSelfMetrics, foldRecords, otelMappingOf, type Collector, type MetricFamily, type SocketRecord } from '@sockscope/core';
import { controlledPipeline, renderedSnapshot, sinkTestContext, socketRecordProblems, startOtlpReceiver, type OtlpReceiver, type ReceivedExport } from '@sockscope/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OtlpSinkConfig } from './config.js';
import { openRealSockets } from './real-sockets.test-helper.js';
import { createOtlpSink, type OtlpSink } from './sink.js';
import { flowFamilies, hostFamilies, prometheusOnly } from './test-families.js';

let receiver: OtlpReceiver;
const running: OtlpSink[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.stop());
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  receiver.respondWith(undefined);
  receiver.release();
  await receiver.restart();
});

function startSink(families: () => MetricFamily[], config: OtlpSinkConfig) {
  const pipeline = controlledPipeline(async () => renderedSnapshot(families()));
  const ctx = sinkTestContext<OtlpSinkConfig>({ metrics_endpoint: receiver.metricsUrl, interval: '40ms', timeout: '300ms', ...config }, pipeline);
  const sink = createOtlpSink(ctx, {});
  running.push(sink);
  return { sink, ctx, pipeline, started: sink.start() };
}

/** `sockscope_sockets` over some records, as core's metric fold (the flow renderer) counts them. */
function socketCounts(records: readonly SocketRecord[]): MetricFamily {
  const family = foldRecords(createMetricFold(), Date.now(), records).find((f) => f.name === 'sockscope_sockets');
  if (!family) throw new Error('the flow renderer rendered no sockscope_sockets');
  return family;
}

/**
 * What the receiver must hold for a family sample: OTel name, unit and attributes as strings.
 * Every family is exported (under its derived name when it has no mapping); label values the
 * mapping translates are translated, and an empty one is no attribute.
 */
function expectedPoints(families: readonly MetricFamily[]) {
  return families.flatMap((f) => {
    const otel = otelMappingOf(f);
    const attrs = (labels: Record<string, string>) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(labels)) {
        const value = otel.values?.[k]?.[v] ?? v;
        if (value !== '') out[otel.labelMap?.[k] ?? k] = value;
      }
      return { ...out, ...otel.attributes };
    };
    const samples = (f.samples ?? []).map((s) => ({ metric: otel.name, unit: otel.unit, attributes: attrs(s.labels), value: s.value, histogram: undefined as unknown }));
    const hists = (f.histograms ?? []).map((h) => ({ metric: otel.name, unit: otel.unit, attributes: attrs(h.labels), value: undefined, histogram: { count: h.count, sum: h.sum } }));
    return [...samples, ...hists];
  });
}

const asStrings = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));

function latestSince(count: number): Promise<ReceivedExport> {
  return receiver.waitForExports(count).then((all) => all[all.length - 1] as ReceivedExport);
}

describe.each(['http/protobuf', 'http/json'] as const)('OTLP sink over loopback, %s', (protocol) => {
  it('exports every family the Prometheus sink renders, with names, units, attributes, temporality and values', async () => {
    const sockets = await openRealSockets(3);
    try {
      expect(sockets.records.flatMap(socketRecordProblems)).toEqual([]);
      const families = [...hostFamilies(), ...flowFamilies([40001, 40002]), socketCounts(sockets.records), prometheusOnly];
      const before = receiver.exports.length;
      startSink(() => families, { protocol, headers: { authorization: 'Bearer t0ken' } });
      const got = await latestSince(before + 1);

      expect(got.protocol).toBe(protocol);
      expect(got.headers.authorization).toBe('Bearer t0ken');
      expect(got.resource).toMatchObject({ 'service.name': 'sockscope', 'service.version': '0.0.0-test', 'host.name': hostname(), 'os.type': process.platform });
      // what sockscope_build_info says on /metrics, as resource attributes of the conventions
      expect(got.resource).toMatchObject({ 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node, 'host.arch': process.arch === 'x64' ? 'amd64' : process.arch });

      const expected = expectedPoints(families);
      expect(got.points).toHaveLength(expected.length);
      for (const e of expected) {
        const p = got.points.find((q) => q.metric === e.metric && JSON.stringify(asStrings(q.attributes)) === JSON.stringify(asStrings(e.attributes)));
        expect(p, `${e.metric} ${JSON.stringify(e.attributes)}`).toBeDefined();
        expect(p?.unit).toBe(e.unit);
        if (e.histogram) expect(p?.histogram).toMatchObject(e.histogram);
        else expect(p?.value).toBe(e.value);
      }
      expect(got.points.some((p) => p.metric.startsWith('sockscope_build'))).toBe(false);
      // a family without a mapping is exported under the name core derives from its own
      expect(got.points.filter((p) => p.metric === 'sockscope.build_info').map((p) => [p.type, p.attributes.version, p.value])).toEqual([['gauge', '0.0.0', 1]]);

      const io = got.points.filter((p) => p.metric === 'system.network.io');
      expect(io.map((p) => [p.type, p.temporality, p.monotonic])).toEqual(Array(4).fill(['sum', 2, true]));
      expect(io.every((p) => p.valueKind === 'int' && BigInt(p.startTimeUnixNano ?? 0) > 0n)).toBe(true);

      const conns = got.points.filter((p) => p.metric === 'system.network.connection.count');
      // the convention's state names (issue 14: they were the kernel's ESTABLISHED, TIME_WAIT)
      expect(conns.find((p) => p.attributes['network.connection.state'] === 'established' && p.attributes['network.transport'] === 'tcp')?.value).toBe(6);
      expect(conns.find((p) => p.attributes['network.type'] === 'ipv6')?.value).toBe(1);
      // A gauge the catalog marks monotonic: false is published as an up-down sum (semconv UpDownCounter).
      expect(catalogEntry('sockets')?.otel?.monotonic).toBe(false);
      expect(conns.every((p) => p.type === 'sum' && p.temporality === 2 && p.unit === '{connection}' && p.monotonic === false)).toBe(true);

      const rtt = got.points.find((p) => p.metric === 'sockscope.flow.rtt');
      expect(rtt).toMatchObject({ type: 'gauge', unit: 's', valueKind: 'double', value: 0.000125 });
      expect(rtt?.attributes['network.peer.port']).toBeTypeOf('number');
      const hist = got.points.find((p) => p.metric === 'sockscope.flow.rtt_distribution');
      expect(hist).toMatchObject({ type: 'histogram', temporality: 2, histogram: { count: 4, sum: 0.0123, bucketCounts: [2, 1, 0, 1], explicitBounds: [0.001, 0.01, 0.1] } });
    } finally {
      await sockets.close();
    }
  });
});

/** A collector streaming given records (listeners first, as a socket collector promises), or told to fail. */
function inTestCollector(name: string, records: readonly SocketRecord[], fail = false): Collector {
  return {
    async stream(_signal, visit) {
      if (fail) throw new Error(`${name} was told to fail`);
      for (const r of records) if (r.state === 'LISTEN' || r.protocol === 'udp') visit({ ...r });
      for (const r of records) if (!(r.state === 'LISTEN' || r.protocol === 'udp')) visit({ ...r });
      return {};
    },
    async close() {},
  };
}

describe('OTLP sink on a pipeline core built', () => {
  it('exports sockscope_scrape_collector_success/duration equivalents and its own export counts, as core rendered them', async () => {
    const sockets = await openRealSockets(2);
    try {
      const selfMetrics = createSelfMetrics();
      const pipeline = createPipeline({
        collectors: [
          { name: 'loopback', collector: inTestCollector('loopback', sockets.records), timeoutMs: 1000 },
          { name: 'broken', collector: inTestCollector('broken', [], true), timeoutMs: 1000 },
        ],
        enrichers: [],
        metrics: createMetricFold(),
        selfMetrics,
        minIntervalMs: 0,
      });
      const ctx = { ...sinkTestContext<OtlpSinkConfig>({ metrics_endpoint: receiver.metricsUrl, interval: '40ms', timeout: '300ms' }, pipeline), selfMetrics };
      const sink = createOtlpSink(ctx, {});
      running.push(sink);
      const before = receiver.exports.length;
      await sink.start();
      // the second export's batch was collected after the first export's outcome was counted
      await receiver.waitForExports(before + 2);
      await vi.waitFor(() => expect(receiver.exports.slice(before).some((e) => e.points.some((p) => p.metric === 'sockscope.otlp.exports' && p.attributes.result === 'success' && Number(p.value) >= 1))).toBe(true), { timeout: 3000 });
      const got = receiver.exports.at(-1) as ReceivedExport;
      const named = (metric: string) => got.points.filter((p) => p.metric === metric);

      const success = named('sockscope.scrape.collector.success');
      expect(success.map((p) => [p.attributes.collector, p.value, p.unit, p.type]).sort()).toEqual([
        ['broken', 0, '1', 'gauge'],
        ['loopback', 1, '1', 'gauge'],
      ]);
      const duration = named('sockscope.scrape.collector.duration');
      expect(duration.map((p) => p.attributes.collector).sort()).toEqual(['broken', 'loopback']);
      expect(duration.every((p) => p.unit === 's' && p.type === 'gauge' && typeof p.value === 'number' && p.value >= 0 && p.value < 1)).toBe(true);

      const exportsTotal = named('sockscope.otlp.exports');
      expect(exportsTotal.map((p) => p.attributes.result).sort()).toEqual(['dropped', 'failure', 'success']);
      expect(exportsTotal.every((p) => p.unit === '{export}' && p.type === 'sum' && p.monotonic === true && p.temporality === 2)).toBe(true);
      expect(Number(exportsTotal.find((p) => p.attributes.result === 'success')?.value)).toBeGreaterThanOrEqual(1);

      // the socket records went through core's metric fold: the same counts as folding them by hand
      const conns = named('system.network.connection.count');
      const expected = expectedPoints([socketCounts(sockets.records)]);
      expect(conns).toHaveLength(expected.length);
      for (const e of expected) expect(conns.find((p) => JSON.stringify(asStrings(p.attributes)) === JSON.stringify(asStrings(e.attributes)))?.value).toBe(e.value);
    } finally {
      await sockets.close();
    }
  }, 10_000);
});

describe('OTLP sink series lifetime', () => {
  it('drops a per-flow series that ended from the next export and keeps the start of the ones that go on', async () => {
    let ports = [50001, 50002];
    let bytes = 100;
    const before = receiver.exports.length;
    startSink(() => flowFamilies(ports, bytes), {});
    const first = await latestSince(before + 1);
    const startOf = (e: ReceivedExport, port: number) =>
      e.points.find((p) => p.metric === 'sockscope.flow.bytes_acked' && p.attributes['network.peer.port'] === port)?.startTimeUnixNano;
    expect(startOf(first, 50002)).toBeDefined();
    ports = [50001];
    bytes = 300;
    const seen = receiver.exports.length;
    await vi.waitFor(() => expect(receiver.exports.slice(seen).some((e) => !startOf(e, 50002))).toBe(true), { timeout: 5000 });
    const later = receiver.exports.at(-1) as ReceivedExport;
    expect(later.points.filter((p) => p.attributes['network.peer.port'] === 50002)).toEqual([]);
    expect(startOf(later, 50001)).toBe(startOf(first, 50001));
    expect(later.points.find((p) => p.metric === 'sockscope.flow.bytes_acked')?.value).toBe(300);
  });
});

describe('OTLP sink when the collector fails', () => {
  it('counts failures while the collector is gone, keeps at most one batch waiting, and recovers after a restart', async () => {
    const before = receiver.exports.length;
    const { sink, ctx } = startSink(() => hostFamilies(), {});
    await receiver.waitForExports(before + 1);
    await receiver.stop();
    await vi.waitFor(() => expect(sink.queue?.counts.failure).toBeGreaterThanOrEqual(2), { timeout: 8000 });
    const health = ctx.health.all().otlp as { lastError: string; lastSuccess: string; exports: { failure: number } };
    expect(health.lastError).toMatch(/ECONNREFUSED|connect|retryable/i);
    expect(health.exports.failure).toBeGreaterThanOrEqual(2);
    expect(ctx.logger.lines.filter((l) => l.startsWith('warn: OTLP export'))).toHaveLength(1);

    const down = receiver.exports.length;
    await receiver.restart();
    await receiver.waitForExports(down + 2);
    await vi.waitFor(() => expect((ctx.health.all().otlp as { lastSuccess: string }).lastSuccess > health.lastSuccess).toBe(true), { timeout: 5000 });
    expect(sink.queue?.maxWaiting).toBeLessThanOrEqual(1);
    expect(ctx.logger.lines).toContain(`info: OTLP export to ${receiver.metricsUrl} recovered`);
  });

  it('drops the older waiting batch when the collector hangs past the deadline, and counts it', async () => {
    const before = receiver.exports.length;
    const { sink, ctx } = startSink(() => hostFamilies(), { interval: '20ms', timeout: '250ms' });
    await receiver.waitForExports(before + 1);
    receiver.hold();
    await vi.waitFor(
      () => {
        expect(sink.queue?.counts.failure).toBeGreaterThanOrEqual(1);
        expect(sink.queue?.counts.dropped).toBeGreaterThanOrEqual(3);
      },
      { timeout: 8000 },
    );
    expect(sink.queue?.maxWaiting).toBe(1);
    expect(sink.queue?.waitingCount).toBeLessThanOrEqual(1);
    receiver.release();
    const resumed = receiver.exports.length;
    await receiver.waitForExports(resumed + 1);

    const family = ctx.selfMetrics.families().find((f) => f.name === 'sockscope_otlp_exports_total');
    expect(family?.name).toBe('sockscope_otlp_exports_total');
    const counts = Object.fromEntries((family?.samples ?? []).map((s) => [s.labels.result, s.value]));
    expect(counts.failure).toBeGreaterThanOrEqual(1);
    expect(counts.dropped).toBeGreaterThanOrEqual(3);
    expect(counts.success).toBeGreaterThanOrEqual(1);
  });

  it('counts a collector that answers 503 as a failure with the status in the last error', async () => {
    const before = receiver.exports.length;
    const { sink, ctx } = startSink(() => hostFamilies(), {});
    await receiver.waitForExports(before + 1);
    receiver.respondWith(503);
    await vi.waitFor(() => expect(sink.queue?.counts.failure).toBeGreaterThanOrEqual(1), { timeout: 8000 });
    expect(receiver.refused.some((r) => r.status === 503)).toBe(true);
    expect(String((ctx.health.all().otlp as { lastError: string }).lastError)).not.toBe('');
    receiver.respondWith(undefined);
    await receiver.waitForExports(receiver.exports.length + 1);
  });

  /** The bytes lo received in an export: collection n of `numbered()` says n × 1000. */
  const loBytes = (e: ReceivedExport) =>
    e.points.find((p) => p.metric === 'system.network.io' && p.attributes['network.io.direction'] === 'receive' && p.attributes['network.interface.name'] === 'lo')?.value;
  /** Host families whose lo receive bytes number the collection (1000, 2000, …). */
  const numbered = () => {
    let n = 0;
    return () => hostFamilies(++n * 1000);
  };

  it('waits out a 429 with Retry-After: 3 past the export deadline, then sends the held batch (it was failed and sent again at the next interval)', async () => {
    receiver.respondWith(429, { 'retry-after': '3' });
    const before = receiver.exports.length;
    const refusedBefore = receiver.refused.length;
    const { sink, ctx, pipeline } = startSink(numbered(), { interval: '30s', timeout: '500ms' });
    await vi.waitFor(() => expect(receiver.refused.length).toBe(refusedBefore + 1), { timeout: 3000 });
    const refusedAt = (receiver.refused.at(-1) as { at: number }).at;
    receiver.respondWith(undefined);
    await vi.waitFor(() => expect(sink.queue?.heldUntil).toBeDefined(), { timeout: 2000 });
    const health = ctx.health.all().otlp as { heldUntil: string; lastError: string; exports: { failure: number } };
    expect(Date.parse(health.heldUntil) - refusedAt).toBeGreaterThanOrEqual(2900);
    expect(health.lastError).toBe('the collector asked to wait 3 s (Retry-After): batch held, nothing sent until then');
    expect(health.exports.failure).toBe(0);
    expect(sink.queue?.waitingCount).toBe(1);

    const [got] = (await receiver.waitForExports(before + 1, 8000)).slice(before);
    // nothing reached the collector for the 3 s it asked for, then the batch it refused
    expect(receiver.refused.length).toBe(refusedBefore + 1);
    expect(got?.at ?? 0).toBeGreaterThanOrEqual(refusedAt + 2900);
    expect(loBytes(got as ReceivedExport)).toBe(1000);
    expect(pipeline.collects).toBe(1);
    await vi.waitFor(() => expect(sink.queue?.counts).toEqual({ success: 1, failure: 0, dropped: 0 }));
    expect(sink.queue?.heldUntil).toBeUndefined();
    expect((ctx.health.all().otlp as { heldUntil: string | null }).heldUntil).toBeNull();
    expect(ctx.logger.lines).toContain(`warn: OTLP export to ${receiver.metricsUrl} failing: the collector asked to wait 3 s (Retry-After): batch held, nothing sent until then`);
    expect(ctx.logger.lines).toContain(`info: OTLP export to ${receiver.metricsUrl} recovered`);
  }, 15_000);

  it('waits out a 503 whose Retry-After is an HTTP date, sending nothing every interval meanwhile, then the newest batch', async () => {
    receiver.respondWith(503, { 'retry-after': new Date(Date.now() + 4000).toUTCString() });
    const before = receiver.exports.length;
    const refusedBefore = receiver.refused.length;
    const { sink } = startSink(numbered(), { interval: '200ms', timeout: '300ms' });
    await vi.waitFor(() => expect(receiver.refused.length).toBe(refusedBefore + 1), { timeout: 3000 });
    const refusedAt = (receiver.refused.at(-1) as { at: number }).at;
    receiver.respondWith(undefined);
    const [got] = (await receiver.waitForExports(before + 1, 8000)).slice(before);
    // HTTP dates have whole seconds: the wait asked for is between 3 and 4 s
    expect(got?.at ?? 0).toBeGreaterThanOrEqual(refusedAt + 2000);
    expect(receiver.refused.length).toBe(refusedBefore + 1);
    // batches collected every 200 ms during the hold replaced the one held: the newest is sent
    expect(Number(loBytes(got as ReceivedExport))).toBeGreaterThanOrEqual(5000);
    expect(sink.queue?.counts.dropped).toBeGreaterThanOrEqual(4);
    expect(sink.queue?.maxWaiting).toBe(1);
  }, 15_000);

  it('keeps one batch held under a long Retry-After while batches keep coming, counts the others as dropped, caps the wait at 1 h, and stops without waiting', async () => {
    receiver.respondWith(429, { 'retry-after': '86400' });
    const refusedBefore = receiver.refused.length;
    const { sink, ctx } = startSink(numbered(), { interval: '20ms', timeout: '300ms' });
    await vi.waitFor(() => expect(sink.queue?.heldUntil).toBeDefined(), { timeout: 3000 });
    const heldUntil = sink.queue?.heldUntil ?? 0;
    expect(heldUntil - Date.now()).toBeGreaterThan(3590_000);
    expect(heldUntil - Date.now()).toBeLessThanOrEqual(3600_000);
    expect((ctx.health.all().otlp as { lastError: string }).lastError).toBe(
      'the collector asked to wait 86400 s (Retry-After) (capped at 3600 s): batch held, nothing sent until then',
    );
    await vi.waitFor(() => expect(sink.queue?.counts.dropped).toBeGreaterThanOrEqual(20), { timeout: 5000 });
    expect(sink.queue?.waitingCount).toBe(1);
    expect(sink.queue?.maxWaiting).toBe(1);
    expect(receiver.refused.length).toBe(refusedBefore + 1);
    const dropped = (ctx.selfMetrics.families().find((f) => f.name === 'sockscope_otlp_exports_total')?.samples ?? []).find((x) => x.labels.result === 'dropped')?.value;
    expect(dropped).toBeGreaterThanOrEqual(20);

    const stopping = Date.now();
    const before = sink.queue?.counts.dropped ?? 0;
    await sink.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    // the held batch is dropped at stop, not sent against the collector's wish
    expect(sink.queue?.counts).toMatchObject({ success: 0, failure: 0, dropped: before + 1 });
    expect(sink.queue?.waitingCount).toBe(0);
    expect(receiver.refused.length).toBe(refusedBefore + 1);
  }, 15_000);

  it('reports a failing pipeline in /health and keeps exporting once it recovers', async () => {
    const before = receiver.exports.length;
    const { ctx, pipeline } = startSink(() => hostFamilies(), {});
    await receiver.waitForExports(before + 1);
    pipeline.answer(() => Promise.reject(new Error('netlink: EPERM')));
    await vi.waitFor(() => expect((ctx.health.all().otlp as { lastError: string }).lastError).toBe('collection failed: netlink: EPERM'), { timeout: 5000 });
    pipeline.answer(async () => renderedSnapshot(hostFamilies()));
    await receiver.waitForExports(receiver.exports.length + 1);
  });
});

describe('OTLP sink switched off', () => {
  it('does not collect or export when resolved disabled', async () => {
    const pipeline = controlledPipeline();
    const ctx = sinkTestContext<OtlpSinkConfig>({ enabled: false, metrics_endpoint: receiver.metricsUrl, interval: '20ms' }, pipeline);
    const sink = createOtlpSink(ctx, {});
    await sink.start();
    await sink.stop();
    expect(pipeline.collects).toBe(0);
    expect(sink.queue).toBeUndefined();
    expect(ctx.selfMetrics.families()).toEqual([]);
    expect(ctx.logger.lines).toContain('info: OTLP export is off: set OTEL_EXPORTER_OTLP_ENDPOINT or sinks.otlp.endpoint to turn it on');
  });
});

describe('OTLP sink stop', () => {
  it('stops a start still loading the exporter (loaded on start, not with the package): nothing is collected after stop', async () => {
    const pipeline = controlledPipeline(async () => renderedSnapshot([]));
    const ctx = sinkTestContext<OtlpSinkConfig>({ metrics_endpoint: receiver.metricsUrl, interval: '20ms', timeout: '100ms' }, pipeline);
    const sink = createOtlpSink(ctx, {});
    const started = sink.start();
    await sink.stop();
    await started;
    const collects = pipeline.collects;
    // ten intervals: a timer left running by the start would have collected again
    await new Promise((r) => setTimeout(r, 200));
    expect(pipeline.collects).toBe(collects);
  });

  it('does not wait forever for a pipeline that never answers', async () => {
    const pipeline = controlledPipeline(() => new Promise(() => {}));
    const ctx = sinkTestContext<OtlpSinkConfig>({ metrics_endpoint: receiver.metricsUrl, interval: '1m', timeout: '100ms' }, pipeline);
    const sink = createOtlpSink(ctx, {});
    await sink.start();
    expect(pipeline.collects).toBe(1);
    await sink.stop();
    expect(sink.queue?.counts).toEqual({ success: 0, failure: 0, dropped: 0 });
  });
});
