export { prometheusSink, createPrometheusSink, type PrometheusSinkInstance } from './sink.js';
export { prometheusSinkSchema, type PrometheusSinkConfig } from './config.js';
export { serializeFamilies, formatValue, TEXT_CONTENT_TYPE } from './exposition.js';
export { parseListenAddress, type ListenAddress } from './listen-address.js';
export { healthDocument } from './health.js';
