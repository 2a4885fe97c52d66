import type { RequestListener, Server } from 'node:http';

/** Config of the Prometheus sink (snake_case keys as they appear in YAML). */
export interface PrometheusSinkConfig {
  /** Address to listen on, `host:port` or `:port`. */
  listen_address: string;
  /** Path of the metrics endpoint. */
  metrics_path: string;
  /** Include prom-client's process and Node.js metrics. */
  process_metrics: boolean;
}

/** JSON Schema of {@link PrometheusSinkConfig}, with defaults. */
export const prometheusSinkSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen_address: { type: 'string', default: ':8020', description: 'host:port or :port to listen on' },
    metrics_path: { type: 'string', default: '/metrics', pattern: '^/' },
    process_metrics: { type: 'boolean', default: true },
  },
} as const;

declare module '@sockscope/core' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- augmentation must repeat the type parameter
  interface SinkContext<C> {
    /** Builds the HTTP(S) server; the app passes one for TLS and basic auth. */
    createServer?: (listener: RequestListener) => Server;
  }
}
