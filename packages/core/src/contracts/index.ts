export * from './plugin.js';
export * from './schema.js';
export * from './collector.js';
export * from './enricher.js';
export * from './sink.js';
