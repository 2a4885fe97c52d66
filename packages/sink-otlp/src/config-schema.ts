import { durationSchema, type JSONSchemaType } from '@sockscope/core';

/** OTLP protocols the OTEL_EXPORTER_OTLP_PROTOCOL variable may name; grpc is refused with advice. */
export type OtlpProtocolName = 'http/protobuf' | 'http/json' | 'grpc';

/** The OTLP sink's config block (`sinks.otlp`). Every key is optional: absent keys fall back to OTEL_* variables. */
export interface OtlpSinkConfig {
  /** Forces the sink on or off; absent means "on when an OTLP endpoint variable is set". */
  enabled?: boolean;
  /** Base URL of the collector's OTLP/HTTP receiver; `/v1/metrics` is appended. */
  endpoint?: string;
  /** Full URL metrics are posted to, used as is (wins over `endpoint`). */
  metricsEndpoint?: string;
  /** Wire encoding. */
  protocol?: OtlpProtocolName;
  /** Extra HTTP headers (authentication), merged over OTEL_EXPORTER_OTLP_HEADERS per key. */
  headers?: Record<string, string>;
  /** Time between exports: `"15s"` or seconds. */
  interval?: string | number;
  /** Deadline of one export including its retries: `"10s"` or seconds. */
  timeout?: string | number;
  /** `service.name` of the resource (wins over OTEL_SERVICE_NAME). */
  serviceName?: string;
  /** Extra resource attributes, merged over OTEL_RESOURCE_ATTRIBUTES per key. */
  resourceAttributes?: Record<string, string>;
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

/**
 * JSON Schema of {@link OtlpSinkConfig}. It carries no defaults on purpose: a default here would
 * hide the OTEL_* variable it should fall back to; defaults are applied by `resolveOtlpConfig`.
 */
export const otlpConfigSchema: JSONSchemaType = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    endpoint: { type: 'string', minLength: 1 },
    metricsEndpoint: { type: 'string', minLength: 1 },
    protocol: { enum: ['http/protobuf', 'http/json', 'grpc'] },
    headers: stringMap,
    interval: durationSchema,
    timeout: durationSchema,
    serviceName: { type: 'string', minLength: 1 },
    resourceAttributes: stringMap,
  },
};
