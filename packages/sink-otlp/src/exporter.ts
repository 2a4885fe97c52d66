import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ResolvedOtlpConfig } from './resolve-config.js';

/** The exporter options both encodings share: URL, headers and the deadline of one export. */
function exporterOptions(cfg: ResolvedOtlpConfig) {
  // One export in flight plus the one the queue may start while the previous one times out.
  return { url: cfg.endpoint, headers: { ...cfg.headers }, timeoutMillis: cfg.timeoutMs, concurrencyLimit: 2 };
}

/**
 * An OTLP/HTTP metric exporter for the configured encoding. Both retry 429/502/503/504 and
 * connection errors with exponential backoff (1 s growing ×1.5 to 5 s, at most 5 retries), all
 * inside `timeoutMs`; a `Retry-After` in the answer replaces the backoff while it fits in the
 * deadline (past it, `RetryAfterReader` hands the wait to the export queue).
 */
export function createMetricExporter(cfg: ResolvedOtlpConfig): PushMetricExporter {
  if (cfg.protocol === 'http/json') return new OTLPMetricExporter(exporterOptions(cfg));
  return createProtobufExporter(cfg);
}

/** OTel's protobuf twin of the HTTP exporter, pinned to the same version as the JSON one. */
function createProtobufExporter(cfg: ResolvedOtlpConfig): PushMetricExporter {
  return new OTLPProtoMetricExporter(exporterOptions(cfg));
}
