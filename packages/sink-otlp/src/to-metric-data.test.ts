import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { ValueType } from '@opentelemetry/api';
import type { MetricFamily } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { SeriesStarts } from './series-starts.js';
import { flowFamilies, hostFamilies, prometheusOnly } from './test-families.js';
import { CUMULATIVE, DATA_POINT_TYPE, VALUE_TYPE_DOUBLE, VALUE_TYPE_INT, bucketCounts, familiesToMetricData } from './to-metric-data.js';

const T0 = 1_700_000_000_000;

function convert(families: MetricFamily[], starts = new SeriesStarts(), nowMs = T0) {
  const reports: string[] = [];
  const metrics = familiesToMetricData(families, { nowMs, starts, report: (_k, m) => void reports.push(m) });
  return { metrics, reports, byName: (n: string) => metrics.find((m) => m.descriptor.name === n) as MetricData };
}

describe('OTel enum values written without loading OTel', () => {
  it('are the values of the enums they stand for', () => {
    expect(VALUE_TYPE_INT).toBe(ValueType.INT);
    expect(VALUE_TYPE_DOUBLE).toBe(ValueType.DOUBLE);
    expect(CUMULATIVE).toBe(AggregationTemporality.CUMULATIVE);
    expect(DATA_POINT_TYPE).toEqual({ HISTOGRAM: DataPointType.HISTOGRAM, GAUGE: DataPointType.GAUGE, SUM: DataPointType.SUM });
  });
});

describe('familiesToMetricData', () => {
  it('merges families that share an OTel name, told apart by their constant attributes', () => {
    const { byName, metrics } = convert([...hostFamilies(1000, 500), prometheusOnly]);
    // the family without a mapping is exported too, under its derived name (issue 14: every family)
    expect(metrics.map((m) => m.descriptor.name)).toEqual(['system.network.io', 'system.network.packet.dropped', 'sockscope.build_info']);
    const io = byName('system.network.io');
    expect(io).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: true, aggregationTemporality: AggregationTemporality.CUMULATIVE });
    expect(io.descriptor).toMatchObject({ unit: 'By', valueType: ValueType.INT, description: 'Network device statistic receive_bytes.' });
    expect(io.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ 'network.interface.name': 'lo', 'network.io.direction': 'receive' }, 1000],
      [{ 'network.interface.name': 'eth0', 'network.io.direction': 'receive' }, 2000],
      [{ 'network.interface.name': 'lo', 'network.io.direction': 'transmit' }, 500],
      [{ 'network.interface.name': 'eth0', 'network.io.direction': 'transmit' }, 1000],
    ]);
  });

  it('publishes gauges as gauges, histograms as cumulative per-bucket histograms, and types ports and pids as integers', () => {
    const { byName } = convert(flowFamilies([40000]));
    const rtt = byName('sockscope.flow.rtt');
    expect(rtt.dataPointType).toBe(DataPointType.GAUGE);
    expect(rtt.descriptor.valueType).toBe(ValueType.DOUBLE);
    expect(rtt.dataPoints[0]?.attributes).toEqual({
      'network.local.address': '127.0.0.1',
      'network.local.port': 8020,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 40000,
      'process.pid': 4242,
      'process.executable.name': 'node',
    });
    const hist = byName('sockscope.flow.rtt_distribution');
    expect(hist).toMatchObject({ dataPointType: DataPointType.HISTOGRAM, aggregationTemporality: AggregationTemporality.CUMULATIVE });
    expect(hist.dataPoints[0]?.value).toEqual({ buckets: { boundaries: [0.001, 0.01, 0.1], counts: [2, 1, 0, 1] }, sum: 0.0123, count: 4 });
  });

  it('publishes a gauge the catalog marks monotonic: false as an up-down sum, and honours monotonic: false on counters', () => {
    const gauge: MetricFamily = { name: 'g', help: 'h', type: 'gauge', otel: { name: 'x.count', unit: '{connection}', monotonic: false }, samples: [{ labels: {}, value: 3 }] };
    const counter: MetricFamily = { name: 'c', help: 'h', type: 'counter', otel: { name: 'y', unit: '1', monotonic: false }, samples: [{ labels: {}, value: 3 }] };
    const { byName } = convert([gauge, counter]);
    expect(byName('x.count')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false, aggregationTemporality: AggregationTemporality.CUMULATIVE });
    expect(byName('y')).toMatchObject({ dataPointType: DataPointType.SUM, isMonotonic: false });
  });

  it('reports and skips a family whose shape clashes with the one already under its OTel name', () => {
    const clash: MetricFamily = { name: 'node_x', help: 'h', type: 'gauge', otel: { name: 'system.network.io', unit: 'By' }, samples: [{ labels: {}, value: 1 }] };
    const { byName, reports } = convert([...hostFamilies(), clash]);
    expect(byName('system.network.io').dataPoints).toHaveLength(4);
    expect(reports).toEqual([expect.stringContaining('node_x maps to system.network.io (gauge, unit By) but node_network_receive_bytes_total already does as monotonic sum')]);
  });

  it('reports and skips a repeated series when merged families lack telling attributes', () => {
    const a: MetricFamily = { name: 'a_total', help: 'h', type: 'counter', otel: { name: 'm', unit: '1' }, samples: [{ labels: { k: 'v' }, value: 1 }] };
    const { byName, reports } = convert([a, { ...a, name: 'b_total' }]);
    expect(byName('m').dataPoints).toHaveLength(1);
    expect(reports[0]).toContain('b_total repeats a series of a_total');
  });

  it('skips an inconsistent histogram series and non-finite values', () => {
    const bad: MetricFamily = {
      name: 'h',
      help: 'h',
      type: 'histogram',
      otel: { name: 'h', unit: 's' },
      histograms: [
        { labels: { s: 'ok' }, bounds: [1], counts: [1], sum: 1, count: 1 },
        { labels: { s: 'down' }, bounds: [1, 2], counts: [3, 2], sum: 1, count: 3 },
      ],
    };
    const nan: MetricFamily = { name: 'n', help: 'h', type: 'gauge', otel: { name: 'n', unit: '1' }, samples: [{ labels: {}, value: Number.NaN }, { labels: { a: 'b' }, value: 1 }] };
    const { byName, reports } = convert([bad, nan]);
    expect(byName('h').dataPoints).toHaveLength(1);
    expect(byName('n').dataPoints).toHaveLength(1);
    expect(reports[0]).toContain('family h has a histogram whose bounds and cumulative counts do not fit');
  });
});

describe('cumulative start times', () => {
  it('keeps a series start across exports, restarts it on a counter reset, and forgets ended series', () => {
    const starts = new SeriesStarts();
    const first = convert(flowFamilies([1, 2], 100), starts, T0).byName('sockscope.flow.bytes_acked');
    expect(first.dataPoints.map((p) => p.startTime)).toEqual([[1_700_000_000, 0], [1_700_000_000, 0]]);
    expect(starts.size).toBe(4); // two bytes series, two histogram series

    const later = convert(flowFamilies([1], 200), starts, T0 + 1500).byName('sockscope.flow.bytes_acked');
    expect(later.dataPoints.map((p) => [p.startTime, p.endTime, p.value])).toEqual([[[1_700_000_000, 0], [1_700_000_001, 500_000_000], 200]]);
    expect(starts.size).toBe(2); // port 2 ended and is forgotten

    const reset = convert(flowFamilies([1, 2], 50), starts, T0 + 3000).byName('sockscope.flow.bytes_acked');
    expect(reset.dataPoints.map((p) => p.startTime)).toEqual([[1_700_000_003, 0], [1_700_000_003, 0]]);
  });
});

describe('bucketCounts', () => {
  it('turns cumulative counts into per-bucket counts with the +Inf bucket last', () => {
    expect(bucketCounts({ labels: {}, bounds: [1, 2, 5], counts: [1, 1, 4], sum: 9, count: 6 })).toEqual([1, 0, 3, 2]);
    expect(bucketCounts({ labels: {}, bounds: [], counts: [], sum: 0, count: 0 })).toEqual([0]);
    expect(bucketCounts({ labels: {}, bounds: [1], counts: [2], sum: 0, count: 1 })).toBeUndefined();
    expect(bucketCounts({ labels: {}, bounds: [1, 2], counts: [2], sum: 0, count: 3 })).toBeUndefined();
  });
});
