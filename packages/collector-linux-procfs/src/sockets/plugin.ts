import { statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { SockscopeError, defineCollector, errorMessage, type CollectorResult, type SocketRecord } from '@sockscope/core';
import { parseInetTable, type TableParse } from './parse-inet.js';
import { parseUnixTable } from './parse-unix.js';
import { WholeFileReader } from './read-whole.js';

/** A /proc/net socket table the collector can read. */
export type SocketTable = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'raw' | 'raw6' | 'unix';

/** Config of the linux-procfs-sockets collector. */
export interface LinuxProcfsSocketsConfig {
  /** Where procfs is mounted (a host's /proc seen from a container is often /host/proc). */
  procfs_path: string;
  /** Which tables under `<procfs_path>/net/` to read. */
  tables: SocketTable[];
}

const TABLES: readonly SocketTable[] = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix'];
// a broken file could yield one warning per line; a few name the problem well enough
const MAX_WARNINGS_PER_FILE = 5;

/** Parses one table's bytes by its name. */
export function parseSocketTable(table: SocketTable, buf: Uint8Array, littleEndian = endianness() === 'LE'): TableParse {
  if (table === 'unix') return parseUnixTable(buf);
  const protocol = table.startsWith('tcp') ? 'tcp' : table.startsWith('udp') ? 'udp' : 'raw';
  return parseInetTable(buf, { protocol, family: table.endsWith('6') ? 'ipv6' : 'ipv4', littleEndian });
}

/**
 * The procfs socket source: /proc/net/{tcp,tcp6,udp,udp6} (+ raw, raw6, unix) as socket records.
 * It is the fallback when the netlink collector cannot start; it has no tcp_info beyond what the
 * tables print (rto, ato, cwnd, ssthresh) and sees only the agent's own network namespace.
 */
export const linuxProcfsSocketsCollector = defineCollector<LinuxProcfsSocketsConfig>({
  name: 'linux-procfs-sockets',
  description: 'Sockets from the /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix} tables (fallback when netlink is unavailable)',
  platforms: ['linux'],
  provides: ['sockets'],
  defaultEnabled: false,
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      procfs_path: { type: 'string', default: '/proc', description: 'Mount point of procfs.' },
      tables: {
        type: 'array',
        items: { enum: [...TABLES] },
        uniqueItems: true,
        default: ['tcp', 'tcp6', 'udp', 'udp6'],
        description: 'Tables under <procfs_path>/net/ to read.',
      },
    },
  },
  create(ctx) {
    const procfs = ctx.config.procfs_path ?? '/proc';
    const tables = ctx.config.tables ?? ['tcp', 'tcp6', 'udp', 'udp6'];
    const netDir = join(procfs, 'net');
    try {
      statSync(netDir);
    } catch (err) {
      throw new SockscopeError('ERR_COLLECTOR_UNAVAILABLE', `cannot read ${netDir}: ${errorMessage(err)} (is procfs mounted there? set procfs_path)`, [], { cause: err });
    }
    const littleEndian = endianness() === 'LE';
    const reader = new WholeFileReader();

    return {
      async collect(signal): Promise<CollectorResult> {
        const sockets: SocketRecord[] = [];
        const warnings: string[] = [];
        const seen = new Set<number>();
        let inconsistent = false;
        for (const table of tables) {
          signal.throwIfAborted();
          const file = join(netDir, table);
          let buf: Buffer;
          try {
            buf = await reader.read(file, signal);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
              ctx.logger.debug(`${file} is absent (protocol not built into this kernel)`);
              continue;
            }
            if (signal.aborted) throw err;
            warnings.push(`${file}: ${errorMessage(err)}`);
            continue;
          }
          const parsed = parseSocketTable(table, buf, littleEndian);
          reader.release(buf);
          for (const s of parsed.sockets) {
            // the kernel walks live hash chains: a socket that moves mid-read shows up twice
            if (s.inode !== 0) {
              if (seen.has(s.inode)) {
                inconsistent = true;
                continue;
              }
              seen.add(s.inode);
            }
            sockets.push(s);
          }
          for (const p of parsed.problems.slice(0, MAX_WARNINGS_PER_FILE)) warnings.push(`${file}:${p.line}: ${p.message}; line skipped`);
          if (parsed.problems.length > MAX_WARNINGS_PER_FILE) warnings.push(`${file}: ${parsed.problems.length - MAX_WARNINGS_PER_FILE} more malformed lines skipped`);
        }
        const result: CollectorResult = { sockets };
        if (warnings.length > 0) result.warnings = warnings;
        if (inconsistent) result.inconsistent = true;
        return result;
      },
      async close() {
        // nothing held between collections
      },
    };
  },
});
