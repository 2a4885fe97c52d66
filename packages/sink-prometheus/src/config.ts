import type { ConfigOf } from '@sockscope/core';

/**
 * JSON Schema of the Prometheus sink's config (`sinks.prometheus`), the single source of its
 * keys and defaults.
 */
export const prometheusSinkSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen_address: { type: 'string', default: ':8020', description: 'host:port or :port to listen on' },
    metrics_path: { type: 'string', default: '/metrics', pattern: '^/', description: 'path of the metrics endpoint' },
    process_metrics: { type: 'boolean', default: true, description: "include prom-client's process_* and nodejs_* metrics" },
  },
} as const;

/** Config of the Prometheus sink, defaults applied (snake_case keys as they appear in YAML). */
export type PrometheusSinkConfig = ConfigOf<typeof prometheusSinkSchema>;
