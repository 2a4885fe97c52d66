import type { DecodedRequest } from './otlp-schema.js';

/** An attribute value as OTLP carries it, flattened (int64 as number: ports, pids). */
export type AttrValue = string | number | boolean | AttrValue[];

/** One data point of one metric, with its metric's facts beside it. */
export interface ReceivedPoint {
  /** Metric name. */
  metric: string;
  /** Metric unit (UCUM). */
  unit: string;
  /** Metric description. */
  description: string;
  /** Which OTLP data field the metric used. */
  type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** AggregationTemporality (1 delta, 2 cumulative); absent for gauges. */
  temporality?: number;
  /** Sum's isMonotonic. */
  monotonic?: boolean;
  /** Point attributes. */
  attributes: Record<string, AttrValue>;
  /** asInt or asDouble of a gauge or sum point. */
  value?: number;
  /** Which of the two the point used. */
  valueKind?: 'int' | 'double';
  /** Histogram point fields. */
  histogram?: { count: number; sum?: number; bucketCounts: number[]; explicitBounds: number[] };
  /** Start of a cumulative series, ns since the epoch (string: exceeds 2^53). */
  startTimeUnixNano?: string;
  /** Time of the point, ns since the epoch. */
  timeUnixNano: string;
}

type Obj = Record<string, any>;

/** Flattens an OTLP attribute list (`[{key, value: {stringValue}}]`) into a record. */
export function attributesOf(list: readonly Obj[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[String(kv.key)] = anyValue(kv.value ?? {});
  return out;
}

function anyValue(v: Obj): AttrValue {
  if ('stringValue' in v) return String(v.stringValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('arrayValue' in v) return ((v.arrayValue?.values ?? []) as Obj[]).map(anyValue);
  return '';
}

/** Every data point in a decoded request. */
export function pointsOf(request: DecodedRequest): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of (request.resourceMetrics ?? []) as Obj[]) {
    for (const sm of (rm.scopeMetrics ?? []) as Obj[]) {
      for (const m of (sm.metrics ?? []) as Obj[]) {
        const type = (['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const).find((k) => m[k] !== undefined);
        if (!type) continue;
        const data = m[type] as Obj;
        for (const dp of (data.dataPoints ?? []) as Obj[]) {
          const p: ReceivedPoint = {
            metric: String(m.name),
            unit: String(m.unit ?? ''),
            description: String(m.description ?? ''),
            type,
            attributes: attributesOf(dp.attributes),
            timeUnixNano: String(dp.timeUnixNano ?? '0'),
          };
          if (data.aggregationTemporality !== undefined) p.temporality = Number(data.aggregationTemporality);
          // proto3 leaves a false isMonotonic off the wire: absent means false.
          if (type === 'sum') p.monotonic = Boolean(data.isMonotonic);
          if (dp.startTimeUnixNano !== undefined) p.startTimeUnixNano = String(dp.startTimeUnixNano);
          if (dp.asInt !== undefined) Object.assign(p, { value: Number(dp.asInt), valueKind: 'int' });
          if (dp.asDouble !== undefined) Object.assign(p, { value: Number(dp.asDouble), valueKind: 'double' });
          if (type === 'histogram') {
            p.histogram = {
              count: Number(dp.count ?? 0),
              bucketCounts: ((dp.bucketCounts ?? []) as unknown[]).map(Number),
              explicitBounds: ((dp.explicitBounds ?? []) as unknown[]).map(Number),
            };
            if (dp.sum !== undefined) p.histogram.sum = Number(dp.sum);
          }
          out.push(p);
        }
      }
    }
  }
  return out;
}
