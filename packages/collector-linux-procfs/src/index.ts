// Host counters (owned by src/host/), socket tables (src/sockets/) and the Linux enrichers (src/enrichers/).
export { linuxProcfsHostCollector } from './host/plugin.js';
export { linuxProcfsSocketsCollector } from './sockets/plugin.js';
export { processEnricher } from './enrichers/process.js';
export { containerEnricher } from './enrichers/container.js';
