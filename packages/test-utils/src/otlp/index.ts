export * from './receiver.js';
export * from './points.js';
export * from './otlp-schema.js';
