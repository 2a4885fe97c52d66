// Why the sink converts families itself instead of feeding OTel instruments: this compares the
// direct conversion with the SDK's observable-instrument path on 10,000 per-flow series
// (the embedded default's per-family cap). Run: npx vitest bench --run
import { createRequire } from 'node:module';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { bench, describe } from 'vitest';
import { SeriesStarts } from '../src/series-starts.js';
import { flowFamilies } from '../src/test-families.js';
import { familiesToMetricData } from '../src/to-metric-data.js';

const SERIES = 10_000;
const ports = Array.from({ length: SERIES }, (_, i) => 10_000 + i);
const families = flowFamilies(ports);
const resource = resourceFromAttributes({ 'service.name': 'bench' });
const starts = new SeriesStarts();
const convert = (): ResourceMetrics => ({
  resource,
  scopeMetrics: [{ scope: { name: 'bench' }, metrics: familiesToMetricData(families, { nowMs: Date.now(), starts, report: () => {} }) }],
});

const fromExporter = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/exporter-metrics-otlp-http'));
const { ProtobufMetricsSerializer } = fromExporter('@opentelemetry/otlp-transformer') as { ProtobufMetricsSerializer: { serializeRequest(r: ResourceMetrics): Uint8Array } };
console.log(`protobuf request for ${SERIES} flows × 3 families: ${ProtobufMetricsSerializer.serializeRequest(convert()).length} bytes`);

// The SDK path: one observable instrument per OTel name, observing every sample in its callback.
class PullReader extends MetricReader {
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}
const reader = new PullReader();
const provider = new MeterProvider({ resource, readers: [reader] });
const meter = provider.getMeter('bench');
const [bytes, rtt] = families;
for (const f of [bytes, rtt]) {
  const inst = f?.type === 'counter' ? meter.createObservableCounter(f.otel?.name ?? '', { unit: f.otel?.unit }) : meter.createObservableGauge(f?.otel?.name ?? '', { unit: f?.otel?.unit });
  inst.addCallback((r) => {
    for (const s of f?.samples ?? []) r.observe(s.value, s.labels);
  });
}

describe(`${SERIES} per-flow series`, () => {
  bench('direct conversion: counter + gauge + histogram families', () => {
    convert();
  });
  bench('direct conversion + protobuf serialization', () => {
    ProtobufMetricsSerializer.serializeRequest(convert());
  });
  bench('SDK observable instruments: counter + gauge only (no observable histogram exists)', async () => {
    await reader.collect();
  });
});
