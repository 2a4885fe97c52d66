import { describeSinkConformance, freePort } from '@sockscope/test-utils';
import { prometheusSink } from '../src/plugin.js';
import type { PrometheusSinkConfig } from '../src/config.js';

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
