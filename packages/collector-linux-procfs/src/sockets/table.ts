import { endianness } from 'node:os';
import type { SocketTable } from '../config.js';
import { scanInetTable, type TablePass, type TableVisitor } from './parse-inet.js';
import { scanUnixTable } from './parse-unix.js';

/** Options of {@link scanSocketTable}. */
export interface SocketTableOptions {
  /** Byte order of the host that printed the file (default: this host's). */
  littleEndian?: boolean;
  /** Address text cache shared by the passes over one table's bytes. */
  names?: Map<string | number, string>;
}

/** Scans one table's bytes by its name, handing the records `pass` picks to the visitor. */
export function scanSocketTable(table: SocketTable, buf: Uint8Array, pass: TablePass, visitor: TableVisitor, opts: SocketTableOptions = {}): void {
  if (table === 'unix') return scanUnixTable(buf, pass, visitor);
  const protocol = table.startsWith('tcp') ? 'tcp' : table.startsWith('udp') ? 'udp' : 'raw';
  const littleEndian = opts.littleEndian ?? endianness() === 'LE';
  const options = { protocol, family: table.endsWith('6') ? 'ipv6' : 'ipv4', littleEndian, ...(opts.names ? { names: opts.names } : {}) } as const;
  scanInetTable(buf, options, pass, visitor);
}
