import { defineConfig } from 'vitest/config';

// The end-to-end suite runs the built CLI against the real Prometheus server and promtool:
// one file at a time, with timeouts that cover Prometheus's startup and a few scrape cycles.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
