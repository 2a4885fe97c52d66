import { compileConfigSchema, createPluginContext } from '@sockscope/core';
import { memoryLogger } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { otlpConfigSchema } from './config.js';
import { otlpSink } from './plugin.js';
import { otlpEnabledByEnv, resolveOtlpConfig } from './resolve-config.js';

const codeOf = (fn: () => unknown): { code?: string; message?: string } => {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  return {};
};

describe('resolveOtlpConfig', () => {
  it('falls back to the spec defaults and stays off without an endpoint variable', () => {
    expect(resolveOtlpConfig({}, {})).toEqual({
      enabled: false,
      endpoint: 'http://localhost:4318/v1/metrics',
      headers: {},
      protocol: 'http/protobuf',
      intervalMs: 60_000,
      timeoutMs: 10_000,
      resourceAttributes: { 'service.name': 'sockscope' },
    });
  });

  it('turns on and appends /v1/metrics to OTEL_EXPORTER_OTLP_ENDPOINT, after any base path', () => {
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({ enabled: true, endpoint: 'http://collector:4318/v1/metrics' });
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otlp/' }).endpoint).toBe('https://gw.example/otlp/v1/metrics');
  });

  it('uses OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, over the general variable', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:9999/custom/path' };
    expect(resolveOtlpConfig({}, env)).toMatchObject({ enabled: true, endpoint: 'http://b:9999/custom/path' });
  });

  it('lets config keys win over the environment: metrics_endpoint, then endpoint', () => {
    const env = { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://env:4318/v1/metrics' };
    expect(resolveOtlpConfig({ endpoint: 'http://cfg:4318' }, env).endpoint).toBe('http://cfg:4318/v1/metrics');
    expect(resolveOtlpConfig({ endpoint: 'http://cfg:4318', metrics_endpoint: 'http://cfg2:1/m' }, env).endpoint).toBe('http://cfg2:1/m');
  });

  it('turns on for an endpoint in the config block too', () => {
    expect(resolveOtlpConfig({ endpoint: 'http://c:4318' }, {}).enabled).toBe(true);
    expect(resolveOtlpConfig({ metrics_endpoint: 'http://c:4318/v1/metrics' }, {}).enabled).toBe(true);
    expect(resolveOtlpConfig({ protocol: 'http/json' }, {}).enabled).toBe(false);
  });

  it('lets enabled: false in config switch off a sink the environment would turn on', () => {
    expect(resolveOtlpConfig({ enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(false);
    expect(resolveOtlpConfig({ enabled: true }, {}).enabled).toBe(true);
  });

  it('refuses an endpoint that is not an http(s) URL, naming its source', () => {
    const err = codeOf(() => resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }));
    expect(err.code).toBe('ERR_OTLP_ENDPOINT_INVALID');
    expect(err.message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(codeOf(() => resolveOtlpConfig({ metrics_endpoint: 'not a url' }, {})).code).toBe('ERR_OTLP_ENDPOINT_INVALID');
    expect(codeOf(() => resolveOtlpConfig({ metrics_endpoint: 'not a url' }, {})).message).toMatch(/^metrics_endpoint="not a url" is not an http\(s\) URL/);
  });

  it('merges headers per key: general variable < metrics variable < config, percent-decoded', () => {
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=one,tenant=a%20b', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'api-key=two' };
    expect(resolveOtlpConfig({}, env).headers).toEqual({ 'api-key': 'two', tenant: 'a b' });
    expect(resolveOtlpConfig({ headers: { tenant: 'cfg' } }, env).headers).toEqual({ 'api-key': 'two', tenant: 'cfg' });
  });

  it('refuses a malformed header list instead of dropping the header', () => {
    const err = codeOf(() => resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_HEADERS: 'Authorization Bearer x' }));
    expect(err.code).toBe('ERR_OTLP_CONFIG_INVALID');
    expect(err.message).toContain('OTEL_EXPORTER_OTLP_HEADERS');
  });

  it('reads the protocol from config, the metrics variable, then the general one', () => {
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' }).protocol).toBe('http/protobuf');
    expect(resolveOtlpConfig({ protocol: 'http/json' }, { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' }).protocol).toBe('http/json');
  });

  it('refuses grpc with a message that says what to use instead', () => {
    const err = codeOf(() => resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }));
    expect(err.code).toBe('ERR_OTLP_PROTOCOL_UNSUPPORTED');
    expect(err.message).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported.*http\/protobuf.*http\/json/);
    expect(codeOf(() => resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).code).toBe('ERR_OTLP_CONFIG_INVALID');
  });

  it('reads the interval and timeout in ms from the variables and durations from config', () => {
    const env = { OTEL_METRIC_EXPORT_INTERVAL: '15000', OTEL_EXPORTER_OTLP_TIMEOUT: '4000' };
    expect(resolveOtlpConfig({}, env)).toMatchObject({ intervalMs: 15_000, timeoutMs: 4000 });
    expect(resolveOtlpConfig({}, { ...env, OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '2500' }).timeoutMs).toBe(2500);
    expect(resolveOtlpConfig({ interval: '5s', timeout: 1.5 }, env)).toMatchObject({ intervalMs: 5000, timeoutMs: 1500 });
  });

  it('refuses an interval that is not a positive whole number of ms, naming the variable', () => {
    const err = codeOf(() => resolveOtlpConfig({}, { OTEL_METRIC_EXPORT_INTERVAL: '15s' }));
    expect(err.code).toBe('ERR_OTLP_CONFIG_INVALID');
    expect(err.message).toContain('OTEL_METRIC_EXPORT_INTERVAL');
    expect(codeOf(() => resolveOtlpConfig({ interval: 0 }, {})).code).toBe('ERR_OTLP_CONFIG_INVALID');
  });

  it('builds resource attributes: OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME < config', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment.name=prod,k8s.node.name=n%2C1' };
    expect(resolveOtlpConfig({}, env).resourceAttributes).toEqual({ 'service.name': 'from-attrs', 'deployment.environment.name': 'prod', 'k8s.node.name': 'n,1' });
    expect(resolveOtlpConfig({}, { ...env, OTEL_SERVICE_NAME: 'svc' }).resourceAttributes['service.name']).toBe('svc');
    const cfg = resolveOtlpConfig({ service_name: 'cfg', resource_attributes: { 'deployment.environment.name': 'dev' } }, { ...env, OTEL_SERVICE_NAME: 'svc' });
    expect(cfg.resourceAttributes).toMatchObject({ 'service.name': 'cfg', 'deployment.environment.name': 'dev', 'k8s.node.name': 'n,1' });
  });
});

describe('otlpEnabledByEnv', () => {
  it('is true when either endpoint variable is set to something', () => {
    expect(otlpEnabledByEnv({})).toBe(false);
    expect(otlpEnabledByEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(otlpEnabledByEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(otlpEnabledByEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' })).toBe(true);
  });

  it('honours OTEL_SDK_DISABLED and OTEL_METRICS_EXPORTER=none', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(otlpEnabledByEnv({ ...env, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(otlpEnabledByEnv({ ...env, OTEL_METRICS_EXPORTER: 'none' })).toBe(false);
    expect(otlpEnabledByEnv({ ...env, OTEL_METRICS_EXPORTER: 'otlp' })).toBe(true);
  });
});

describe('otlpConfigSchema', () => {
  const validate = compileConfigSchema(otlpConfigSchema, 'sinks.otlp');

  it('accepts a full config and applies no defaults that would hide the environment', () => {
    const cfg = { endpoint: 'http://c:4318', protocol: 'http/json', headers: { a: 'b' }, interval: '15s', timeout: 10, service_name: 's', resource_attributes: { x: 'y' } };
    expect(validate(cfg)).toEqual([]);
    const empty = {};
    expect(validate(empty)).toEqual([]);
    expect(empty).toEqual({});
  });

  it('names a misspelt key and a bad protocol', () => {
    expect(validate({ endpont: 'x' })).toEqual(['sinks.otlp.endpont: unknown key (did you mean "endpoint"?)']);
    expect(validate({ protocol: 'grpcs' })[0]).toContain('sinks.otlp.protocol: must be one of');
  });
});

describe('otlp plugin config, as the agent builds it', () => {
  it('reads the old camelCase keys under their snake_case names, with a warning naming each new key', () => {
    const logger = memoryLogger();
    const ctx = createPluginContext(
      otlpSink,
      { metricsEndpoint: 'http://c:4318/custom', serviceName: 'svc', resourceAttributes: { 'deployment.environment.name': 'dev' } },
      { logger },
    );
    expect(ctx.config).toEqual({ metrics_endpoint: 'http://c:4318/custom', service_name: 'svc', resource_attributes: { 'deployment.environment.name': 'dev' } });
    expect(logger.lines).toEqual([
      'warn: otlp.metricsEndpoint is deprecated: use otlp.metrics_endpoint',
      'warn: otlp.serviceName is deprecated: use otlp.service_name',
      'warn: otlp.resourceAttributes is deprecated: use otlp.resource_attributes',
    ]);
    const resolved = resolveOtlpConfig(ctx.config, {});
    expect(resolved).toMatchObject({ enabled: true, endpoint: 'http://c:4318/custom' });
    expect(resolved.resourceAttributes).toEqual({ 'service.name': 'svc', 'deployment.environment.name': 'dev' });
  });

  it('fills in nothing, so the OTEL_* variables still apply', () => {
    const ctx = createPluginContext(otlpSink, {});
    expect(ctx.config).toEqual({});
    expect(resolveOtlpConfig(ctx.config, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_SERVICE_NAME: 'from-env' })).toMatchObject({
      enabled: true,
      endpoint: 'http://env:4318/v1/metrics',
      resourceAttributes: { 'service.name': 'from-env' },
    });
  });
});
