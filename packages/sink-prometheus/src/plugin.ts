import { defineSink, errorMessage } from '@sockscope/core';
import { prometheusSinkSchema, type PrometheusSinkConfig } from './config.js';
import { parseListenAddress } from './listen-address.js';
import { createPrometheusSink } from './sink.js';

/** The Prometheus pull sink: `/metrics`, `/health` and `/`. */
export const prometheusSink = defineSink<PrometheusSinkConfig>({
  name: 'prometheus',
  description: 'Serves /metrics (Prometheus text format), /health and an index page over HTTP',
  platforms: ['any'],
  defaultEnabled: true,
  configSchema: prometheusSinkSchema,
  // what create() would refuse, said by check-config too: a listen address it cannot parse (`:99999`)
  validateConfig: (c) => {
    try {
      parseListenAddress(c.listen_address);
      return [];
    } catch (err) {
      return [`listen_address: ${errorMessage(err)}`];
    }
  },
  create: (ctx) => createPrometheusSink(ctx),
});
