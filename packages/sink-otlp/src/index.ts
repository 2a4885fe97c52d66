import { defineSink } from '@sockscope/core';
import { otlpConfigSchema, type OtlpSinkConfig } from './config-schema.js';
import { createOtlpSink } from './sink.js';

export { createOtlpSink, type OtlpSink } from './sink.js';
export { otlpConfigSchema, type OtlpSinkConfig, type OtlpProtocolName } from './config-schema.js';
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
export { otlpSelfFamilies, otlpExportsFamily, OTLP_HEALTH_COMPONENT } from './self-metrics.js';
export { familiesToMetricData, bucketCounts, type ConvertOptions } from './to-metric-data.js';
export { SeriesStarts } from './series-starts.js';
export { ExportQueue, type ExportCounts, type ExportOutcome } from './export-queue.js';
export { OtlpSinkError, OtlpErrorCodes, type OtlpErrorCode } from './errors.js';
export { parseKeyValueList, type Env } from './otel-env.js';

/** The OTLP push sink: exports the pipeline's families to an OpenTelemetry collector over OTLP/HTTP. */
export const otlpSink = defineSink<OtlpSinkConfig>({
  name: 'otlp',
  description: 'Pushes metrics to an OpenTelemetry collector over OTLP/HTTP (protobuf or JSON), on its own interval',
  platforms: ['any'],
  defaultEnabled: false,
  configSchema: otlpConfigSchema,
  create: (ctx) => createOtlpSink(ctx),
});

export default otlpSink;
