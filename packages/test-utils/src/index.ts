export * from './validate-record.js';
export * from './collector-suite.js';
export * from './test-plugin.js';
export * from './otlp/index.js';
export * from './sink-suite.js';
export * from './prng.js';
export * from './net.js';
export * from './loop.js';
