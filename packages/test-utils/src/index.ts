export * from './validate-record.js';
export * from './collector-suite.js';
