import { defineSink } from '@sockscope/core';
import { otlpConfigSchema, type OtlpSinkConfig } from './config.js';
import { createOtlpSink } from './sink.js';

/** The OTLP push sink: exports the pipeline's families to an OpenTelemetry collector over OTLP/HTTP. */
export const otlpSink = defineSink<OtlpSinkConfig>({
  name: 'otlp',
  description: 'Pushes metrics to an OpenTelemetry collector over OTLP/HTTP (protobuf or JSON), on its own interval',
  platforms: ['any'],
  defaultEnabled: false,
  configSchema: otlpConfigSchema,
  create: (ctx) => createOtlpSink(ctx),
});
