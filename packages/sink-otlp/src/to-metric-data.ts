import { ValueType, type Attributes } from '@opentelemetry/api';
import type { HistogramSample, Labels, MetricFamily, OtelMapping } from '@sockscope/core';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { attributeValue } from './semconv-types.js';
import type { SeriesStarts } from './series-starts.js';

/** How one family is published: an OTel gauge, a cumulative sum, or a cumulative histogram. */
type Shape = { kind: 'gauge' } | { kind: 'sum'; monotonic: boolean } | { kind: 'histogram' };

interface Builder {
  shape: Shape;
  unit: string;
  description: string;
  from: string;
  seen: Set<string>;
  numbers: DataPoint<number>[];
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
 * Turns rendered families into OTel metric data: families without an `otel` mapping are skipped,
 * families sharing an OTel name become one metric told apart by their constant attributes.
 * Counters are cumulative monotonic sums, histograms cumulative explicit-bucket histograms.
 */
export function familiesToMetricData(families: readonly MetricFamily[], opts: ConvertOptions): MetricData[] {
  const builders = new Map<string, Builder>();
  for (const family of families) {
    const otel = family.otel;
    if (!otel) continue;
    const shape = shapeOf(family, otel);
    let b = builders.get(otel.name);
    if (!b) {
      b = { shape, unit: otel.unit, description: family.help, from: family.name, seen: new Set(), numbers: [], histograms: [] };
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
  opts.starts.commit();
  return [...builders].map(([name, b]) => toMetricData(name, b));
}

function addNumbers(b: Builder, otel: OtelMapping, family: MetricFamily, opts: ConvertOptions): void {
  const cumulative = b.shape.kind === 'sum';
  for (const s of family.samples ?? []) {
    if (!Number.isFinite(s.value)) continue;
    const attributes = toAttributes(otel, s.labels);
    const key = seriesKey(otel.name, attributes);
    if (!unique(b, key, family, opts)) continue;
    const startMs = cumulative ? opts.starts.startOf(key, s.value, opts.nowMs, b.shape.kind === 'sum' && b.shape.monotonic) : opts.nowMs;
    b.numbers.push({ startTime: hrTime(startMs), endTime: hrTime(opts.nowMs), attributes, value: s.value });
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
  opts.report(`duplicate:${family.name}`, `OTLP: family ${family.name} repeats a series of ${b.from} under the same attributes (the catalog's constant attributes must tell them apart); the repeat is skipped`);
  return false;
}

function toAttributes(otel: OtelMapping, labels: Labels): Attributes {
  const out: Attributes = {};
  for (const [label, value] of Object.entries(labels)) {
    const name = otel.labelMap?.[label] ?? label;
    out[name] = attributeValue(name, value);
  }
  // Constant attributes win: they are what tells merged families apart.
  for (const [name, value] of Object.entries(otel.attributes ?? {})) out[name] = attributeValue(name, value);
  return out;
}

function shapeOf(family: MetricFamily, otel: OtelMapping): Shape {
  if (family.type === 'histogram') return { kind: 'histogram' };
  if (family.type === 'counter') return { kind: 'sum', monotonic: otel.monotonic ?? true };
  // A gauge the catalog marks `monotonic: false` is an UpDownCounter in the conventions.
  if (otel.monotonic === false) return { kind: 'sum', monotonic: false };
  return { kind: 'gauge' };
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.kind === b.kind && (a.kind !== 'sum' || b.kind !== 'sum' || a.monotonic === b.monotonic);
}

function describe(s: Shape): string {
  return s.kind === 'sum' ? (s.monotonic ? 'monotonic sum' : 'up-down sum') : s.kind;
}

function toMetricData(name: string, b: Builder): MetricData {
  const integral = b.numbers.every((p) => Number.isSafeInteger(p.value));
  const descriptor = { name, description: b.description, unit: b.unit, valueType: integral ? ValueType.INT : ValueType.DOUBLE };
  const temporality = AggregationTemporality.CUMULATIVE;
  if (b.shape.kind === 'histogram') {
    return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.HISTOGRAM, dataPoints: b.histograms };
  }
  if (b.shape.kind === 'sum') {
    return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.SUM, isMonotonic: b.shape.monotonic, dataPoints: b.numbers };
  }
  return { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.GAUGE, dataPoints: b.numbers };
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
