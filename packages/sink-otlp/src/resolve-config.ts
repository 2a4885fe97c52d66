import { errorMessage, parseDuration } from '@sockscope/core';
import type { OtlpSinkConfig } from './config.js';
import { OtlpSinkError } from './errors.js';
import { envMillis, envValue, parseKeyValueList, type Env } from './otel-env.js';

/** OTLP encodings this sink sends. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Everything the sink needs, resolved from its config block and the OTEL_* environment. */
export interface ResolvedOtlpConfig {
  /** Whether the sink runs. */
  enabled: boolean;
  /** Full URL metrics are posted to. */
  endpoint: string;
  /** HTTP headers sent with every export. */
  headers: Record<string, string>;
  /** Wire encoding. */
  protocol: OtlpProtocol;
  /** Time between exports, ms. */
  intervalMs: number;
  /** Deadline of one export including retries, ms. */
  timeoutMs: number;
  /** Resource attributes from the user (service.name always present); host facts are added by the sink. */
  resourceAttributes: Record<string, string>;
}

/** The OTLP/HTTP default receiver, as in the OTel exporter spec. */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318/v1/metrics';
/** Default export interval, ms (OTEL_METRIC_EXPORT_INTERVAL's spec default). */
export const DEFAULT_INTERVAL_MS = 60_000;
/** Default export deadline, ms (OTEL_EXPORTER_OTLP_TIMEOUT's spec default). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default `service.name`. */
export const DEFAULT_SERVICE_NAME = 'sockscope';

/** True when the environment asks for OTLP export: an endpoint variable is set and OTel is not disabled. */
export function otlpEnabledByEnv(env: Env): boolean {
  if (envValue(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return false;
  if (envValue(env, 'OTEL_METRICS_EXPORTER')?.toLowerCase() === 'none') return false;
  return envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined || envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
}

/**
 * Resolves the sink's settings. Precedence, highest first: the config key, the metrics-specific
 * variable (OTEL_EXPORTER_OTLP_METRICS_*), the general variable (OTEL_EXPORTER_OTLP_*), the spec
 * default. Headers and resource attributes merge per key in the same order. Throws a coded
 * error naming the key or variable when a value cannot be used.
 */
export function resolveOtlpConfig(config: OtlpSinkConfig, env: Env): ResolvedOtlpConfig {
  // An endpoint in the config block is as clear a request as the endpoint variable.
  const configured = config.endpoint !== undefined || config.metrics_endpoint !== undefined;
  return {
    enabled: config.enabled ?? (configured || otlpEnabledByEnv(env)),
    endpoint: resolveEndpoint(config, env),
    headers: {
      ...parseKeyValueList(envValue(env, 'OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseKeyValueList(envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'), 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'),
      ...config.headers,
    },
    protocol: resolveProtocol(config, env),
    intervalMs: configMillis(config.interval, 'interval') ?? envMillis(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? DEFAULT_INTERVAL_MS,
    timeoutMs:
      configMillis(config.timeout, 'timeout') ??
      envMillis(env, 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT') ??
      envMillis(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') ??
      DEFAULT_TIMEOUT_MS,
    resourceAttributes: resolveResourceAttributes(config, env),
  };
}

function resolveEndpoint(config: OtlpSinkConfig, env: Env): string {
  const candidates: [string | undefined, string, boolean][] = [
    [config.metrics_endpoint, 'metrics_endpoint', false],
    [config.endpoint, 'endpoint', true],
    [envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'), 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', false],
    [envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'OTEL_EXPORTER_OTLP_ENDPOINT', true],
  ];
  for (const [value, source, appendPath] of candidates) {
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OtlpSinkError('ERR_OTLP_ENDPOINT_INVALID', `${source}="${value}" is not an http(s) URL (e.g. http://otel-collector:4318)`);
    }
    if (!appendPath) return url.toString();
    // The general endpoint is the receiver's base: the signal path goes after any path it has.
    return `${value.replace(/\/+$/, '')}/v1/metrics`;
  }
  return DEFAULT_OTLP_ENDPOINT;
}

function resolveProtocol(config: OtlpSinkConfig, env: Env): OtlpProtocol {
  const fromEnvMetrics = envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL');
  const fromEnv = envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  const [value, source]: [string, string] =
    config.protocol !== undefined
      ? [config.protocol, 'protocol']
      : fromEnvMetrics !== undefined
        ? [fromEnvMetrics, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL']
        : fromEnv !== undefined
          ? [fromEnv, 'OTEL_EXPORTER_OTLP_PROTOCOL']
          : ['http/protobuf', 'default'];
  if (value === 'http/protobuf' || value === 'http/json') return value;
  if (value === 'grpc') {
    throw new OtlpSinkError(
      'ERR_OTLP_PROTOCOL_UNSUPPORTED',
      `${source}=grpc is not supported: sockscope exports OTLP over HTTP only; use http/protobuf (the collector's OTLP/HTTP receiver, port 4318) or http/json`,
    );
  }
  throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${source}="${value}" is not an OTLP protocol: use http/protobuf or http/json`);
}

function resolveResourceAttributes(config: OtlpSinkConfig, env: Env): Record<string, string> {
  const attrs: Record<string, string> = { 'service.name': DEFAULT_SERVICE_NAME };
  Object.assign(attrs, parseKeyValueList(envValue(env, 'OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES'));
  // The spec: OTEL_SERVICE_NAME wins over a service.name inside OTEL_RESOURCE_ATTRIBUTES.
  const serviceName = envValue(env, 'OTEL_SERVICE_NAME');
  if (serviceName !== undefined) attrs['service.name'] = serviceName;
  Object.assign(attrs, config.resource_attributes);
  if (config.service_name !== undefined) attrs['service.name'] = config.service_name;
  return attrs;
}

function configMillis(value: string | number | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${key}: ${errorMessage(err)}`);
  }
  if (ms <= 0) throw new OtlpSinkError('ERR_OTLP_CONFIG_INVALID', `${key}: must be longer than zero, e.g. "15s"`);
  return ms;
}
