// A third-party collector plugin: an npm package whose default export is a plugin definition.
// Load it with `plugins: [sockscope-plugin-port-range]` in the sockscope config.
import { readFile } from 'node:fs/promises';
import { defineCollector } from '@sockscope/core';

export default defineCollector({
  name: 'port-range',
  description: 'Ephemeral port range (net.ipv4.ip_local_port_range) and its size',
  platforms: ['linux'],
  provides: ['families'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { procfs_path: { type: 'string', default: '/proc' } },
  },
  create: (ctx) => ({
    // Every collector has one read method, stream(signal, visit); this one reads no sockets, so it never calls visit.
    async stream() {
      const text = await readFile(`${ctx.config.procfs_path}/sys/net/ipv4/ip_local_port_range`, 'utf8');
      const [lower, upper] = text.trim().split(/\s+/).map(Number);
      if (!Number.isInteger(lower) || !Number.isInteger(upper)) {
        return { families: [], warnings: [{ code: 'ERR_PORT_RANGE_PARSE', message: `ip_local_port_range: cannot parse "${text.trim()}"` }] };
      }
      return {
        families: [
          {
            name: 'sockscope_example_ephemeral_port_range',
            help: 'Bounds of the ephemeral port range.',
            type: 'gauge',
            samples: [
              { labels: { bound: 'lower' }, value: lower },
              { labels: { bound: 'upper' }, value: upper },
            ],
          },
        ],
      };
    },
    async close() {},
  }),
});
