export { prometheusSink } from './plugin.js';
export { createPrometheusSink, type PrometheusSinkInstance } from './sink.js';
export { prometheusSinkSchema, type PrometheusSinkConfig } from './config.js';
export { PrometheusSinkError, PrometheusErrorCodes, type PrometheusErrorCode } from './errors.js';
export { serializeFamilies, formatValue, TEXT_CONTENT_TYPE } from './exposition.js';
export { parseListenAddress, type ListenAddress } from './listen-address.js';
export { healthDocument } from './health.js';
