import { defineCollector, type CollectorDefinition } from '@sockscope/core';

/** Config of the test collector. */
export interface TestCollectorConfig {
  /** Milliseconds to wait before answering (to exercise timeouts). */
  delay_ms: number;
  /** Throw instead of answering (to exercise failure isolation). */
  fail: boolean;
  /** Value of the `sockscope_test_value` gauge. */
  value: number;
}

/**
 * A collector for registry, pipeline and sink tests until real collectors are enabled: it
 * reports how many times it was called, and can be made slow or failing by config.
 */
export function testCollector(name = 'test'): CollectorDefinition<TestCollectorConfig> {
  return defineCollector<TestCollectorConfig>({
    name,
    description: 'Test collector: counts its calls; can be slowed down or made to fail',
    platforms: ['any'],
    provides: ['families'],
    configSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        delay_ms: { type: 'integer', minimum: 0, default: 0 },
        fail: { type: 'boolean', default: false },
        value: { type: 'number', default: 1 },
      },
    },
    create(ctx) {
      let calls = 0;
      let closed = 0;
      return {
        async stream(signal) {
          calls++;
          if (ctx.config.delay_ms > 0) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, ctx.config.delay_ms);
              signal.addEventListener('abort', () => {
                clearTimeout(t);
                resolve();
              });
            });
          }
          if (ctx.config.fail) throw new Error(`${name} was told to fail`);
          return {
            families: [
              { name: `sockscope_${name.replace(/-/g, '_')}_value`, help: 'Configured test value.', type: 'gauge', samples: [{ labels: {}, value: ctx.config.value }] },
              { name: `sockscope_${name.replace(/-/g, '_')}_calls_total`, help: 'Collect calls so far.', type: 'counter', samples: [{ labels: {}, value: calls }] },
            ],
          };
        },
        async close() {
          closed++;
          if (closed > 1) return;
        },
      };
    },
  });
}
