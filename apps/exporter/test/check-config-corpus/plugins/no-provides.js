// A collector that does not say what it provides (sockets, host or families): the check-config corpus loads it.
export default {
  name: 'no-provides',
  kind: 'collector',
  description: 'a collector without provides',
  platforms: ['any'],
  coreMajor: 0,
  configSchema: { type: 'object' },
  create: () => ({ stream: async () => ({}), close: async () => {} }),
};
