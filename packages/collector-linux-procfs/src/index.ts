// One file per plugin in src/plugins/; their implementations live in src/host/, src/sockets/
// and src/enrichers/, their config schemas in src/config.ts.
export { linuxProcfsHostCollector } from './plugins/linux-procfs.js';
export { linuxProcfsSocketsCollector } from './plugins/linux-procfs-sockets.js';
export { processEnricher } from './plugins/process.js';
export { containerEnricher } from './plugins/container.js';
export {
  NODE_EXPORTER_NETSTAT_FIELDS,
  SOCKET_TABLES,
  containerConfigSchema,
  hostConfigProblems,
  hostConfigSchema,
  processConfigSchema,
  socketsConfigSchema,
  type ContainerEnricherConfig,
  type HostCollectorConfig,
  type LinuxProcfsSocketsConfig,
  type ProcessEnricherConfig,
  type SocketTable,
} from './config.js';
export { ProcfsError, ProcfsErrorCodes, type ProcfsErrorCode } from './errors.js';
export { systemdUnit, unescapeUnitName, type SystemdUnit, type SystemdUnitKind } from './enrichers/systemd-unit.js';
export { HOST_NETNS_NAME, netnsNames, readNetnsNames, type NetnsEntry, type NetnsResolver } from './enrichers/netns-names.js';
export * from './enrichers/runtimes/index.js';
