// A collector whose configSchema is not a JSON Schema ("duration" is no type): the check-config corpus loads it.
import { defineCollector } from '@sockscope/core';

export default defineCollector({
  name: 'invalid-schema',
  description: 'a collector with a broken config schema',
  platforms: ['any'],
  provides: ['families'],
  configSchema: { type: 'object', properties: { every: { type: 'duration' } } },
  create: () => ({ stream: async () => ({}), close: async () => {} }),
});
