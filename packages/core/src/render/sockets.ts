// `sockscope_sockets` now comes from the metric catalog; this path keeps the original export.
export { renderSocketCounts } from '../flows/aggregates.js';
