import { durationSchema, type ConfigOf } from '@sockscope/core';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/**
 * JSON Schema of the OTLP sink's config block (`sinks.otlp`). Every key is optional and it carries
 * no defaults on purpose: an absent key falls back to its OTEL_* variable, which a schema default
 * would hide; `resolveOtlpConfig` applies the variables, then the OTel spec's defaults.
 */
export const otlpConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', description: 'force the sink on or off; absent: on when an OTLP endpoint is configured or in the environment' },
    endpoint: { type: 'string', minLength: 1, description: "base URL of the collector's OTLP/HTTP receiver; /v1/metrics is appended" },
    metrics_endpoint: { type: 'string', minLength: 1, description: 'full URL metrics are posted to, used as is (wins over endpoint)' },
    protocol: { enum: ['http/protobuf', 'http/json', 'grpc'], description: 'wire encoding (grpc is refused with advice)' },
    headers: { ...stringMap, description: 'extra HTTP headers, merged over OTEL_EXPORTER_OTLP_HEADERS per key' },
    interval: { ...durationSchema, description: 'time between exports: "15s" or seconds' },
    timeout: { ...durationSchema, description: 'deadline of one export including its retries: "10s" or seconds' },
    service_name: { type: 'string', minLength: 1, description: 'service.name of the resource (wins over OTEL_SERVICE_NAME)' },
    resource_attributes: { ...stringMap, description: 'extra resource attributes, merged over OTEL_RESOURCE_ATTRIBUTES per key' },
  },
} as const;

/** The OTLP sink's config block (`sinks.otlp`), snake_case keys as they appear in YAML. */
export type OtlpSinkConfig = ConfigOf<typeof otlpConfigSchema>;

/** OTLP protocols the config or OTEL_EXPORTER_OTLP_PROTOCOL may name; grpc is refused with advice. */
export type OtlpProtocolName = NonNullable<OtlpSinkConfig['protocol']>;
