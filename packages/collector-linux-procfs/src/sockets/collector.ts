import { statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { errorMessage, type Collector, type CollectorResult, type PluginContext, type SocketVisitor, type Warning } from '@sockscope/core';
import type { LinuxProcfsSocketsConfig, SocketTable } from '../config.js';
import { ProcfsError, procfsWarning } from '../errors.js';
import type { TableVisitor } from './parse-inet.js';
import { WholeFileReader } from './read-whole.js';
import { scanSocketTable } from './table.js';

// a broken file could yield one warning per line; a few name the problem well enough
const MAX_WARNINGS_PER_FILE = 5;

/** One table of one collection: its bytes, held between the two passes, and what went wrong. */
interface TableRead {
  table: SocketTable;
  file: string;
  bytes?: Buffer;
  names: Map<string | number, string>;
  error?: string;
  problems: { line: number; message: string }[];
}

/**
 * The procfs socket source: streams the records of `<procfs_path>/net/<table>` to the visitor as
 * it parses them and keeps none. Every table is read once into its own reusable buffer and
 * scanned twice: first for its listening sockets, as soon as it is read, then, once every table's
 * listeners are out, for the other sockets. A socket listed twice (it moved between the kernel's
 * hash chains during the read) is visited once. Throws ERR_COLLECTOR_UNAVAILABLE without procfs.
 */
export function createSocketsCollector(ctx: PluginContext<LinuxProcfsSocketsConfig>): Collector {
  const { tables } = ctx.config;
  const netDir = join(ctx.config.procfs_path, 'net');
  try {
    statSync(netDir);
  } catch (err) {
    throw new ProcfsError('ERR_COLLECTOR_UNAVAILABLE', `cannot read ${netDir}: ${errorMessage(err)} (is procfs mounted there? set procfs_path)`, [], { cause: err });
  }
  const littleEndian = endianness() === 'LE';
  // one buffer per table: each table's bytes stay until its second pass
  const readers = new Map<SocketTable, WholeFileReader>(tables.map((t) => [t, new WholeFileReader()]));

  return {
    async stream(signal: AbortSignal, visit: SocketVisitor): Promise<CollectorResult> {
      const seen = new Set<number>();
      let inconsistent = false;
      const reads: TableRead[] = [];
      const visitor = (read: TableRead): TableVisitor => ({
        record(s) {
          // the kernel walks live hash chains: a socket that moves mid-read shows up twice
          if (s.inode !== 0) {
            if (seen.has(s.inode)) {
              inconsistent = true;
              return;
            }
            seen.add(s.inode);
          }
          visit(s);
        },
        problem: (line, message) => void read.problems.push({ line, message }),
      });

      try {
        for (const table of tables) {
          signal.throwIfAborted();
          const read: TableRead = { table, file: join(netDir, table), names: new Map(), problems: [] };
          reads.push(read);
          try {
            read.bytes = await (readers.get(table) as WholeFileReader).read(read.file, signal);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
              ctx.logger.debug(`${read.file} is absent (protocol not built into this kernel)`);
              continue;
            }
            if (signal.aborted) throw err;
            read.error = errorMessage(err);
            continue;
          }
          scanSocketTable(table, read.bytes, 'listening', visitor(read), { littleEndian, names: read.names });
        }
        for (const read of reads) {
          if (!read.bytes) continue;
          signal.throwIfAborted();
          scanSocketTable(read.table, read.bytes, 'others', visitor(read), { littleEndian, names: read.names });
          (readers.get(read.table) as WholeFileReader).release(read.bytes);
          read.bytes = undefined;
        }
      } finally {
        for (const read of reads) if (read.bytes) (readers.get(read.table) as WholeFileReader).release(read.bytes);
      }

      const warnings: Warning[] = [];
      for (const { file, error, problems } of reads) {
        if (error !== undefined) warnings.push(procfsWarning('ERR_PROCFS_UNREADABLE', `${file}: ${error}`));
        problems.sort((a, b) => a.line - b.line);
        for (const p of problems.slice(0, MAX_WARNINGS_PER_FILE)) warnings.push(procfsWarning('ERR_PROCFS_MALFORMED', `${file}:${p.line}: ${p.message}; line skipped`));
        if (problems.length > MAX_WARNINGS_PER_FILE) warnings.push(procfsWarning('ERR_PROCFS_MALFORMED', `${file}: ${problems.length - MAX_WARNINGS_PER_FILE} more malformed lines skipped`));
      }
      const result: CollectorResult = {};
      if (warnings.length > 0) result.warnings = warnings;
      if (inconsistent) result.inconsistent = true;
      return result;
    },
    async close() {
      // the read buffers are all this holds between collections: let them go
      for (const table of tables) readers.set(table, new WholeFileReader());
    },
  };
}
