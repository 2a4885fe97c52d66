import { MAX_DURATION_MS, MAX_DURATION_TEXT, defineSink, durationProblem, errorMessage } from '@sockscope/core';
import { otlpConfigSchema, type OtlpSinkConfig } from './config.js';
import { envValue, type Env } from './otel-env.js';
import { resolveOtlpConfig } from './resolve-config.js';
import { createOtlpSink } from './sink.js';

/** The OTLP push sink: exports the pipeline's families to an OpenTelemetry collector over OTLP/HTTP. */
export const otlpSink = defineSink<OtlpSinkConfig>({
  name: 'otlp',
  description: 'Pushes metrics to an OpenTelemetry collector over OTLP/HTTP (protobuf or JSON), on its own interval',
  platforms: ['any'],
  defaultEnabled: false,
  configSchema: otlpConfigSchema,
  validateConfig: (c) => validateOtlpConfig(c, process.env),
  create: (ctx) => createOtlpSink(ctx),
});

/** The config key each OTEL_* variable stands in for, to put its problem under that key's path. */
const KEY_OF_VARIABLE: [RegExp, string][] = [
  [/_ENDPOINT\b/, 'endpoint'],
  [/_PROTOCOL\b/, 'protocol'],
  [/_HEADERS\b/, 'headers'],
  [/EXPORT_INTERVAL\b/, 'interval'],
  [/_TIMEOUT\b/, 'timeout'],
  [/RESOURCE_ATTRIBUTES\b|SERVICE_NAME\b/, 'resource_attributes'],
];

/**
 * What the sink's create() would refuse, as `key: message` lines, so check-config and the agent
 * say it before anything starts: endpoints that are not http(s) URLs, protocol grpc (with what to
 * use), an interval or timeout of zero, and the same problems in the OTEL_* variables the sink
 * reads (under the key they stand in for), including an interval or timeout longer than a timer
 * can wait.
 */
export function validateOtlpConfig(c: OtlpSinkConfig, env: Env): string[] {
  const errors: string[] = [];
  for (const key of ['endpoint', 'metrics_endpoint'] as const) {
    const value = c[key];
    if (value !== undefined && !isHttpUrl(value)) {
      errors.push(`${key}: "${value}" is not an http(s) URL: use the collector's OTLP/HTTP address, e.g. http://otel-collector:4318`);
    }
  }
  if (c.protocol === 'grpc') {
    errors.push(
      "protocol: grpc is not supported: sockscope exports OTLP over HTTP only; use http/protobuf (the collector's OTLP/HTTP receiver, port 4318) or http/json",
    );
  }
  for (const key of ['interval', 'timeout'] as const) {
    const value = c[key];
    const problem = value === undefined ? undefined : durationProblem(value, { positive: true });
    if (problem) errors.push(`${key}: ${problem}`);
  }
  if (errors.length > 0) return errors;
  // the config is fine: what the environment adds must be too
  try {
    const resolved = resolveOtlpConfig(c, env);
    const tooLong = (ms: number, key: 'interval' | 'timeout', variables: string[]) => {
      const variable = variables.find((v) => envValue(env, v) !== undefined);
      if (ms > MAX_DURATION_MS && variable) {
        errors.push(`${key}: ${variable}="${envValue(env, variable)}" must be at most ${MAX_DURATION_TEXT} (${MAX_DURATION_MS} ms), the longest a timer can wait`);
      }
    };
    if (c.interval === undefined) tooLong(resolved.intervalMs, 'interval', ['OTEL_METRIC_EXPORT_INTERVAL']);
    if (c.timeout === undefined) tooLong(resolved.timeoutMs, 'timeout', ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']);
  } catch (err) {
    const message = errorMessage(err);
    const key = KEY_OF_VARIABLE.find(([re]) => re.test(message.split(/[=:]/)[0] ?? ''))?.[1] ?? 'endpoint';
    errors.push(`${key}: ${message} (from the environment)`);
  }
  return errors;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
