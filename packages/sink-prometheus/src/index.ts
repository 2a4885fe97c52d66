export { prometheusSink } from './plugin.js';
export { createPrometheusSink, OPEN_BIND_WARNING, type PrometheusSinkInstance } from './sink.js';
export { prometheusSinkSchema, type PrometheusSinkConfig } from './config.js';
export { PrometheusSinkError, PrometheusErrorCodes, type PrometheusErrorCode } from './errors.js';
export { serializeFamilies, formatValue, TEXT_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, type ExpositionFormat } from './exposition.js';
export { negotiateFormat, type Negotiated } from './negotiate.js';
export { parseListenAddress, type ListenAddress } from './listen-address.js';
export { healthDocument } from './health.js';
export type { PluginListing } from './index-page.js';
