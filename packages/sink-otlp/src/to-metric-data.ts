import type { Attributes, ValueType } from '@opentelemetry/api';
import { OTEL_INSTRUMENT_NAME, otelMappingOf, type HistogramSample, type Labels, type MetricFamily, type OtelMapping } from '@sockscope/core';
import type { AggregationTemporality, DataPointType, DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { attributeValue } from './semconv-types.js';
import type { SeriesStarts } from './series-starts.js';

// The OTel enum members this module writes, as their values: importing the enums themselves would
// load @opentelemetry/api and sdk-metrics with the package, and the agent loads them only when
// the sink starts (sink.ts). to-metric-data.test.ts checks them against the enums.
/** `ValueType.INT` of @opentelemetry/api. */
export const VALUE_TYPE_INT = 0 as ValueType.INT;
/** `ValueType.DOUBLE` of @opentelemetry/api. */
export const VALUE_TYPE_DOUBLE = 1 as ValueType.DOUBLE;
/** `AggregationTemporality.CUMULATIVE` of @opentelemetry/sdk-metrics. */
export const CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;
/** `DataPointType.HISTOGRAM`, `.GAUGE` and `.SUM` of @opentelemetry/sdk-metrics. */
export const DATA_POINT_TYPE = { HISTOGRAM: 0 as DataPointType.HISTOGRAM, GAUGE: 2 as DataPointType.GAUGE, SUM: 3 as DataPointType.SUM } as const;

/** How one family is published: an OTel gauge, a cumulative sum, or a cumulative histogram. */
type Shape = { kind: 'gauge' } | { kind: 'sum'; monotonic: boolean } | { kind: 'histogram' };

/** A number point being built: samples of one family that meet under the same attributes add up. */
interface NumberPoint {
  attributes: Attributes;
  value: number;
  family: string;
}

interface Builder {
  shape: Shape;
  unit: string;
  description: string;
  from: string;
  seen: Set<string>;
  numbers: Map<string, NumberPoint>;
  histograms: DataPoint<Histogram>[];
}

/** Options of {@link familiesToMetricData}. */
export interface ConvertOptions {
  /** Collection time of the snapshot, ms since the epoch (the points' time). */
  nowMs: number;
  /** Start times of cumulative series, carried from export to export. */
  starts: SeriesStarts;
  /** Told once per kind of problem (a family whose shape clashes, a malformed histogram). */
  report(key: string, message: string): void;
}

/**
 * Turns rendered families into OTel metric data, every one of them: a family's `otel` mapping
 * names it, a family without one gets the name core derives from its Prometheus name
 * (`otelMappingOf`). Families sharing an OTel name become one metric told apart by their constant
 * attributes. Counters are cumulative monotonic sums, histograms cumulative explicit-bucket
 * histograms, gauges gauges unless the mapping makes them sums.
 */
export function familiesToMetricData(families: readonly MetricFamily[], opts: ConvertOptions): MetricData[] {
  const builders = new Map<string, Builder>();
  for (const family of families) {
    const otel = otelMappingOf(family);
    if (!OTEL_INSTRUMENT_NAME.test(otel.name)) {
      opts.report(`name:${family.name}`, `OTLP: family ${family.name} maps to "${otel.name}", which is not a valid OpenTelemetry instrument name (a letter, then letters, digits, _ . - /; at most 255); ${family.name} is not exported over OTLP`);
      continue;
    }
    const shape = shapeOf(family, otel);
    let b = builders.get(otel.name);
    if (!b) {
      b = { shape, unit: otel.unit, description: family.help, from: family.name, seen: new Set(), numbers: new Map(), histograms: [] };
      builders.set(otel.name, b);
    } else if (!sameShape(b.shape, shape) || b.unit !== otel.unit) {
      opts.report(
        `shape:${otel.name}:${family.name}`,
        `OTLP: family ${family.name} maps to ${otel.name} (${describe(shape)}, unit ${otel.unit}) but ${b.from} already does as ${describe(b.shape)}, unit ${b.unit}; ${family.name} is not exported over OTLP`,
      );
      continue;
    }
    if (shape.kind === 'histogram') addHistograms(b, otel, family, opts);
    else addNumbers(b, otel, family, opts);
  }
  const out = [...builders].map(([name, b]) => toMetricData(name, b, opts));
  opts.starts.commit();
  return out;
}

function addNumbers(b: Builder, otel: OtelMapping, family: MetricFamily, opts: ConvertOptions): void {
  for (const s of family.samples ?? []) {
    if (!Number.isFinite(s.value)) continue;
    const attributes = toAttributes(otel, s.labels);
    const key = seriesKey(otel.name, attributes);
    const met = b.numbers.get(key);
    // Two samples of one family that the mapping's values bring together (NEW_SYN_RECV and
    // SYN_RECV are both syn_received) are one series: a sum adds them up.
    if (met && met.family === family.name && b.shape.kind === 'sum') {
      met.value += s.value;
      continue;
    }
    if (met) {
      duplicate(b, family, opts);
      continue;
    }
    b.numbers.set(key, { attributes, value: s.value, family: family.name });
  }
}

function addHistograms(b: Builder, otel: OtelMapping, family: MetricFamily, opts: ConvertOptions): void {
  for (const h of family.histograms ?? []) {
    const buckets = bucketCounts(h);
    if (!buckets) {
      opts.report(`histogram:${family.name}`, `OTLP: family ${family.name} has a histogram whose bounds and cumulative counts do not fit; that series is skipped`);
      continue;
    }
    const attributes = toAttributes(otel, h.labels);
    const key = seriesKey(otel.name, attributes);
    if (!unique(b, key, family, opts)) continue;
    const startMs = opts.starts.startOf(key, h.count, opts.nowMs, true);
    const value: Histogram = { buckets: { boundaries: [...h.bounds], counts: buckets }, sum: h.sum, count: h.count };
    b.histograms.push({ startTime: hrTime(startMs), endTime: hrTime(opts.nowMs), attributes, value });
  }
}

/** Per-bucket counts (OTLP) from cumulative ones (Prometheus), the +Inf bucket last; undefined when inconsistent. */
export function bucketCounts(h: HistogramSample): number[] | undefined {
  if (h.bounds.length !== h.counts.length) return undefined;
  const out: number[] = [];
  let below = 0;
  for (const c of h.counts) {
    if (c < below) return undefined;
    out.push(c - below);
    below = c;
  }
  if (h.count < below) return undefined;
  out.push(h.count - below);
  return out;
}

function unique(b: Builder, key: string, family: MetricFamily, opts: ConvertOptions): boolean {
  if (!b.seen.has(key)) {
    b.seen.add(key);
    return true;
  }
  duplicate(b, family, opts);
  return false;
}

function duplicate(b: Builder, family: MetricFamily, opts: ConvertOptions): void {
  opts.report(`duplicate:${family.name}`, `OTLP: family ${family.name} repeats a series of ${b.from} under the same attributes (the catalog's constant attributes must tell them apart); the repeat is skipped`);
}

/**
 * Labels → attributes: each label renamed by `labelMap`, its value by `values`; an empty value
 * (an empty Prometheus label is no label; `values` maps a value the convention lacks to '') is
 * left out. Then the mapping's constant attributes.
 */
function toAttributes(otel: OtelMapping, labels: Labels): Attributes {
  const out: Attributes = {};
  for (const [label, raw] of Object.entries(labels)) {
    const value = otel.values?.[label]?.[raw] ?? raw;
    if (value === '') continue;
    const name = otel.labelMap?.[label] ?? label;
    out[name] = attributeValue(name, value);
  }
  // Constant attributes win: they are what tells merged families apart.
  for (const [name, value] of Object.entries(otel.attributes ?? {})) out[name] = attributeValue(name, value);
  return out;
}

function shapeOf(family: MetricFamily, otel: OtelMapping): Shape {
  if (family.type === 'histogram') return { kind: 'histogram' };
  // `monotonic` makes any number family a sum: false an UpDownCounter (a gauge the conventions
  // count with one, system.network.connection.count), true a counter (node_exporter's untyped
  // netstat counters, its conntrack statistics typed gauge).
  if (otel.monotonic !== undefined) return { kind: 'sum', monotonic: otel.monotonic };
  if (family.type === 'counter') return { kind: 'sum', monotonic: true };
  return { kind: 'gauge' };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.kind === b.kind && (a.kind !== 'sum' || b.kind !== 'sum' || a.monotonic === b.monotonic);
}

function describe(s: Shape): string {
  return s.kind === 'sum' ? (s.monotonic ? 'monotonic sum' : 'up-down sum') : s.kind;
}

function toMetricData(name: string, b: Builder, opts: ConvertOptions): MetricData {
  const end = hrTime(opts.nowMs);
  const numbers: DataPoint<number>[] = [];
  for (const [key, p] of b.numbers) {
    const startMs = b.shape.kind === 'sum' ? opts.starts.startOf(key, p.value, opts.nowMs, b.shape.monotonic) : opts.nowMs;
    numbers.push({ startTime: hrTime(startMs), endTime: end, attributes: p.attributes, value: p.value });
  }
  const integral = numbers.every((p) => Number.isSafeInteger(p.value));
  const descriptor = { name, description: b.description, unit: b.unit, valueType: integral ? VALUE_TYPE_INT : VALUE_TYPE_DOUBLE };
  const temporality = CUMULATIVE;
  if (b.shape.kind === 'histogram') {
    return { descriptor, aggregationTemporality: temporality, dataPointType: DATA_POINT_TYPE.HISTOGRAM, dataPoints: b.histograms };
  }
  if (b.shape.kind === 'sum') {
    return { descriptor, aggregationTemporality: temporality, dataPointType: DATA_POINT_TYPE.SUM, isMonotonic: b.shape.monotonic, dataPoints: numbers };
  }
  return { descriptor, aggregationTemporality: temporality, dataPointType: DATA_POINT_TYPE.GAUGE, dataPoints: numbers };
}

function seriesKey(name: string, attributes: Attributes): string {
  const parts = Object.keys(attributes)
    .sort()
    .map((k) => `${k}=${String(attributes[k])}`);
  return `${name}\u0000${parts.join('\u0000')}`;
}

function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}
