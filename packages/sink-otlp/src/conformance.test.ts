import { createPluginContext, type MetricFamily } from '@sockscope/core';
import { controlledPipeline, describeSinkConformance, renderedSnapshot, sinkTestContext, startOtlpReceiver, type OtlpReceiver } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpSinkConfig } from './config.js';
import { otlpSink } from './plugin.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.stop());

// The shared suite (packages/test-utils/src/sink-suite.ts) checks, for every sink: the registry
// accepts it; every config key is snake_case; start()/stop() twice and a start after a stop;
// stop() waits for the collection in flight; a pipeline whose collect() rejects does not kill it.
// The test below shows what this sink does with a collection: one OTLP export of its families.
describeSinkConformance<OtlpSinkConfig>({
  definition: otlpSink,
  config: () => ({ metrics_endpoint: receiver.metricsUrl, interval: '20ms', timeout: '500ms' }),
});

describe('otlp sink on the in-repo receiver', () => {
  it('exports a collection\'s family under its OTel name, unit and attributes, with the sockscope resource', async () => {
    const family: MetricFamily = {
      name: 'node_network_receive_bytes_total',
      help: 'Network device statistic receive_bytes.',
      type: 'counter',
      otel: { name: 'system.network.io', unit: 'By', attributes: { 'network.io.direction': 'receive' }, labelMap: { device: 'network.interface.name' } },
      samples: [{ labels: { device: 'lo' }, value: 1234 }],
    };
    const pipeline = controlledPipeline(async () => renderedSnapshot([family]));
    const base = createPluginContext(otlpSink, { metrics_endpoint: receiver.metricsUrl, interval: '50ms', timeout: '500ms' });
    const sink = await otlpSink.create(sinkTestContext(base.config, pipeline));
    const before = receiver.exports.length;
    await sink.start();
    try {
      const [first] = (await receiver.waitForExports(before + 1)).slice(before);
      expect(first?.resource['service.name']).toBe('sockscope');
      expect(first?.points.find((p) => p.metric === 'system.network.io')).toMatchObject({
        unit: 'By',
        value: 1234,
        attributes: { 'network.io.direction': 'receive', 'network.interface.name': 'lo' },
      });
    } finally {
      await sink.stop();
    }
  });
});
