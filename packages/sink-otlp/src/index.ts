export { otlpSink, otlpSink as default } from './plugin.js';
export { createOtlpSink, type OtlpSink } from './sink.js';
export { otlpConfigSchema, type OtlpSinkConfig, type OtlpProtocolName } from './config.js';
export {
  resolveOtlpConfig,
  otlpEnabledByEnv,
  DEFAULT_OTLP_ENDPOINT,
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_SERVICE_NAME,
  type ResolvedOtlpConfig,
  type OtlpProtocol,
} from './resolve-config.js';
export { otlpExportsFamily, OTLP_HEALTH_COMPONENT } from './self-metrics.js';
export { familiesToMetricData, bucketCounts, type ConvertOptions } from './to-metric-data.js';
export { SeriesStarts } from './series-starts.js';
export { ExportQueue, type ExportCounts, type ExportOutcome } from './export-queue.js';
export { RetryAfterReader, MAX_RETRY_AFTER_MS, type RetryAfterNote } from './retry-after.js';
export { OtlpSinkError, OtlpErrorCodes, type OtlpErrorCode } from './errors.js';
export { parseKeyValueList, type Env } from './otel-env.js';
