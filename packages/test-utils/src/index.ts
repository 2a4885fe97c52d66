export * from './validate-record.js';
export * from './collector-suite.js';
export * from './test-plugin.js';
