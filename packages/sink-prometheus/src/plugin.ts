import { defineSink } from '@sockscope/core';
import { prometheusSinkSchema, type PrometheusSinkConfig } from './config.js';
import { createPrometheusSink } from './sink.js';

/** The Prometheus pull sink: `/metrics`, `/health` and `/`. */
export const prometheusSink = defineSink<PrometheusSinkConfig>({
  name: 'prometheus',
  description: 'Serves /metrics (Prometheus text format), /health and an index page over HTTP',
  platforms: ['any'],
  defaultEnabled: true,
  configSchema: prometheusSinkSchema,
  create: (ctx) => createPrometheusSink(ctx),
});
