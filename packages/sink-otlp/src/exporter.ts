import { createRequire } from 'node:module';
import { OTLPMetricExporter, OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { errorMessage } from '@sockscope/core';
import { OtlpSinkError } from './errors.js';
import type { ResolvedOtlpConfig } from './resolve-config.js';

/** The exporter options both encodings share: URL, headers and the deadline of one export. */
function exporterOptions(cfg: ResolvedOtlpConfig) {
  // One export in flight plus the one the queue may start while the previous one times out.
  return { url: cfg.endpoint, headers: { ...cfg.headers }, timeoutMillis: cfg.timeoutMs, concurrencyLimit: 2 };
}

/**
 * An OTLP/HTTP metric exporter for the configured encoding. Both retry 429/502/503/504 and
 * connection errors with exponential backoff (1 s growing ×1.5 to 5 s, at most 5 retries), all
 * inside `timeoutMs`.
 */
export function createMetricExporter(cfg: ResolvedOtlpConfig): PushMetricExporter {
  if (cfg.protocol === 'http/json') return new OTLPMetricExporter(exporterOptions(cfg));
  return createProtobufExporter(cfg);
}

interface ProtobufParts {
  createOtlpHttpExportDelegate(options: unknown, serializer: unknown, componentType: string, helper: unknown): unknown;
  convertLegacyHttpOptions(config: unknown, signal: string, path: string, requiredHeaders: Record<string, string>): unknown;
  ProtobufMetricsSerializer: unknown;
  MetricsExporterMetricsHelper: unknown;
}

/**
 * exporter-metrics-otlp-http serializes JSON only; OTel's protobuf twin is the same
 * `OTLPMetricExporterBase` given the protobuf serializer of otlp-transformer. We take that
 * serializer and the node HTTP delegate from the exporter's own dependencies, so their versions
 * always match the exporter this package pins.
 */
function createProtobufExporter(cfg: ResolvedOtlpConfig): PushMetricExporter {
  let parts: ProtobufParts;
  try {
    const exporterMain = createRequire(import.meta.url).resolve('@opentelemetry/exporter-metrics-otlp-http');
    const requireFromExporter = createRequire(exporterMain);
    parts = {
      ...(requireFromExporter('@opentelemetry/otlp-exporter-base/node-http') as object),
      ...(requireFromExporter('@opentelemetry/otlp-transformer') as object),
    } as ProtobufParts;
  } catch (err) {
    throw new OtlpSinkError('ERR_OTLP_EXPORTER_LOAD', `cannot load the OTLP protobuf serializer: ${errorMessage(err)} (set protocol http/json, or reinstall sockscope)`, [], { cause: err });
  }
  const options = parts.convertLegacyHttpOptions(exporterOptions(cfg), 'METRICS', 'v1/metrics', { 'Content-Type': 'application/x-protobuf' });
  const delegate = parts.createOtlpHttpExportDelegate(options, parts.ProtobufMetricsSerializer, 'otlp_http_metric_exporter', parts.MetricsExporterMetricsHelper);
  return new OTLPMetricExporterBase(delegate as ConstructorParameters<typeof OTLPMetricExporterBase>[0]);
}
