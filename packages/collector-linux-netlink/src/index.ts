export { linuxNetlinkCollector, linuxNetlinkCollector as default } from './plugin.js';
export { netlinkConfigSchema, type NetlinkCollectorConfig } from './config.js';
export { createNetlinkCollector } from './collector.js';
export { NetlinkErrorCodes, NetlinkCollectorError, type NetlinkErrorCode, type NetlinkCollectorErrorCode } from './errors.js';
export type { DumpOptions } from './dump.js';
export { parseDumpDatagram, type DatagramOutcome } from './parse/dump-datagram.js';
export { parseDiagMessage } from './parse/socket-record.js';
export { parseTcpInfo } from './parse/tcp-info.js';
export { scanDatagram } from './parse/netlink-messages.js';
export {
  createDestroyEventSource,
  MAIN_READER_MIN_RCVBUF,
  SKNLGRP_DESTROY_GROUPS,
  type DestroyEventSource,
  type DestroyEventOptions,
  type DestroyEventStats,
  type DestroyDrain,
  type DestroySocketInfo,
} from './destroy/source.js';
export { parseDestroyDatagram, type DestroyDatagramOutcome } from './destroy/parse.js';
