import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createMetricExporter } from './exporter.js';
import { resolveOtlpConfig } from './resolve-config.js';
import { RetryAfterReader } from './retry-after.js';

describe('RetryAfterReader', () => {
  it.each(['http/protobuf', 'http/json'] as const)("finds the transport of OTel's %s exporter (the pinned version's shape)", async (protocol) => {
    const exporter = createMetricExporter(resolveOtlpConfig({ endpoint: 'http://127.0.0.1:9', protocol }, {}));
    expect(new RetryAfterReader(exporter).hooked).toBe(true);
    await exporter.shutdown();
  });

  it('says so, and leaves the exporter alone, when the exporter has no such transport', () => {
    const exporter = { export: () => {}, forceFlush: async () => {}, shutdown: async () => {} } as unknown as PushMetricExporter;
    const reader = new RetryAfterReader(exporter);
    expect(reader.hooked).toBe(false);
    expect(reader.watch(() => {})).toEqual({});
    expect(Object.keys(exporter)).toEqual(['export', 'forceFlush', 'shutdown']);
  });
});
