export * from './plugin.js';
export * from './schema.js';
export * from './warning.js';
export * from './collector.js';
export * from './enricher.js';
export * from './fold.js';
export * from './sink.js';
export * from './context.js';
