import { readFileSync } from 'node:fs';
import type { Enricher, PluginContext, ProcessInfo, RecordEnrichment, SocketRecord, Warning } from '@sockscope/core';
import type { ProcessEnricherConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { scanSocketOwners } from './fd-scan.js';
import { LruCache } from './lru.js';
import { isGone, parseCmdline, parseStat, parseStatus, readText } from './proc-files.js';

/** Message shown once when other users' fds are unreadable. */
export const FD_PERMISSION_NOTICE =
  'process enricher: cannot read /proc/<pid>/fd of processes owned by other users (permission denied), so their sockets have no owning process; ' +
  'run sockscope as root or grant it CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH)';

/**
 * The process enricher instance. `prepare` makes one pass over /proc/*\/fd mapping every socket
 * inode to its pid (before the collectors read, so a socket opened in between has no owner this
 * time); each record is then given its owner's facts, read once per pid and collection and cached
 * by (pid, start time) across collections.
 */
export function createProcessEnricher(ctx: PluginContext<ProcessEnricherConfig>): Enricher {
  const procfs = ctx.config.procfs_path;
  let cache = new LruCache<string, ProcessInfo>(ctx.config.cache_size);
  let reportedDenied = false;

  const describe = (pid: number): ProcessInfo | undefined => {
    const dir = `${procfs}/${pid}`;
    try {
      const stat = parseStat(readText(`${dir}/stat`));
      if (!stat) return undefined;
      const key = `${pid}:${stat.startTime}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const status = parseStatus(readText(`${dir}/status`));
      const info: ProcessInfo = { pid, ppid: status.ppid ?? stat.ppid, comm: readText(`${dir}/comm`).trimEnd(), startTime: stat.startTime };
      const cmdline = parseCmdline(readFileSync(`${dir}/cmdline`));
      if (cmdline) info.cmdline = cmdline;
      if (status.uid !== undefined) info.uid = status.uid;
      Object.freeze(info);
      cache.set(key, info);
      return info;
    } catch (err) {
      if (isGone(err)) return undefined; // exited since the fd scan
      throw err;
    }
  };

  return {
    async prepare(signal: AbortSignal): Promise<RecordEnrichment> {
      const { owners, denied } = await scanSocketOwners(procfs, signal);
      if (denied > 0 && !reportedDenied) {
        reportedDenied = true;
        ctx.reportOnce('process:fd-permission', FD_PERMISSION_NOTICE);
      }
      const byPid = new Map<number, ProcessInfo | undefined>();
      const warnings: Warning[] = [];
      return {
        enrich(s: SocketRecord): void {
          if (s.process || s.inode === 0) return;
          const pid = owners.get(s.inode);
          if (pid === undefined) return;
          if (!byPid.has(pid)) {
            try {
              byPid.set(pid, describe(pid));
            } catch (err) {
              byPid.set(pid, undefined);
              warnings.push(procfsWarning('ERR_PROCESS_UNREADABLE', `cannot read ${procfs}/${pid}: ${(err as Error).message}`));
            }
          }
          const info = byPid.get(pid);
          if (info) s.process = info;
        },
        finish: () => (warnings.length > 0 ? { warnings } : {}),
      };
    },
    async close() {
      cache = new LruCache<string, ProcessInfo>(1);
    },
  };
}
