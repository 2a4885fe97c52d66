import { createPluginContext } from '@sockscope/core';
import { controlledPipeline, describeSinkConformance, freePort, renderedSnapshot, sinkTestContext } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { prometheusSink } from '../src/plugin.js';
import type { PrometheusSinkConfig } from '../src/config.js';

// The shared suite (packages/test-utils/src/sink-suite.ts) checks, for every sink: the registry
// accepts it; every config key is snake_case; start()/stop() twice and a start after a stop;
// stop() waits for the scrape in flight; a pipeline whose collect() rejects does not kill it.
// The test below shows what this sink does with a collection: the text exposition of its families.
// A free loopback port per test, so `poke` knows where to scrape.
let port = 0;
describeSinkConformance<PrometheusSinkConfig>({
  definition: prometheusSink,
  config: async () => {
    port = await freePort();
    return { listen_address: `127.0.0.1:${port}`, metrics_path: '/metrics', process_metrics: false };
  },
  // Connection: close, so stop() is not held up by an idle keep-alive socket.
  poke: () => fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text()),
});

describe('prometheus sink over HTTP', () => {
  it('serves a collection\'s families as text 0.0.4, then build info', async () => {
    const scrapePort = await freePort();
    const pipeline = controlledPipeline(async () =>
      renderedSnapshot([{ name: 'node_network_receive_bytes_total', help: 'Network device statistic receive_bytes.', type: 'counter', samples: [{ labels: { device: 'lo' }, value: 1234 }] }]),
    );
    const { config } = createPluginContext(prometheusSink, { listen_address: `127.0.0.1:${scrapePort}` });
    const sink = await prometheusSink.create(sinkTestContext(config, pipeline));
    await sink.start();
    try {
      const res = await fetch(`http://127.0.0.1:${scrapePort}/metrics`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const lines = (await res.text()).split('\n');
      expect(lines.slice(0, 3)).toEqual([
        '# HELP node_network_receive_bytes_total Network device statistic receive_bytes.',
        '# TYPE node_network_receive_bytes_total counter',
        'node_network_receive_bytes_total{device="lo"} 1234',
      ]);
      expect(lines.some((l) => l.startsWith('sockscope_build_info{'))).toBe(true);
    } finally {
      await sink.stop();
    }
  });
});
