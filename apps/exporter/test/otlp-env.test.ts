import { startOtlpReceiver, type OtlpReceiver } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, startCli } from './run-cli.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.stop();
});

describe('OTLP from the environment', () => {
  it('turns the OTLP sink on in the default run when OTEL_EXPORTER_OTLP_ENDPOINT alone is set', async () => {
    const cli = await startCli([], {
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
        OTEL_SERVICE_NAME: 'sockscope-under-test',
      },
    });
    try {
      const [first] = await receiver.waitForExports(1, 15_000);
      expect(first?.protocol).toBe('http/protobuf');
      expect(first?.path).toBe('/v1/metrics');
      expect(first?.resource).toMatchObject({ 'service.name': 'sockscope-under-test', 'deployment.environment': 'test', 'os.type': 'linux' });
      const names = new Set(first?.points.map((p) => p.metric));
      expect(names).toContain('system.network.io');
      expect(names).toContain('system.network.connection.count');
      const lo = first?.points.find((p) => p.metric === 'system.network.io' && p.attributes['network.interface.name'] === 'lo' && p.attributes['network.io.direction'] === 'receive');
      expect(lo).toMatchObject({ type: 'sum', temporality: 2, monotonic: true, unit: 'By' });
      // the Prometheus side reports the exports and /health the sink's state
      // core renders self metrics into each collection, so a scrape served from the collection
      // the first export was made of still says 0: scrape until a later collection shows it
      let metrics = '';
      for (let i = 0; i < 20 && !/sockscope_otlp_exports_total\{result="success"\} [1-9]/.test(metrics); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 250));
        metrics = (await httpGet(cli.port, '/metrics')).body;
      }
      expect(metrics).toMatch(/sockscope_otlp_exports_total\{result="success"\} [1-9]/);
      const health = JSON.parse((await httpGet(cli.port, '/health')).body);
      expect(health.components.otlp.endpoint).toBe(`${receiver.url}/v1/metrics`);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
