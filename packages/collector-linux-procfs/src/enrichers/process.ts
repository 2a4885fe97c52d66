import { readFileSync } from 'node:fs';
import type { Enricher, PluginContext, ProcessInfo, RecordEnrichment, SocketRecord, Warning } from '@sockscope/core';
import type { ProcessEnricherConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { scanSocketOwners } from './fd-scan.js';
import { FdScanWorker } from './fd-scan-worker.js';
import { ownerOf } from './fd-scanner.js';
import { LruCache } from './lru.js';
import { isGone, parseCmdline, parseStat, parseStatus, readText } from './proc-files.js';

/** Message shown once when other users' fds are unreadable. */
export const FD_PERMISSION_NOTICE =
  'process enricher: cannot read /proc/<pid>/fd of processes owned by other users (permission denied), so their sockets have no owning process; ' +
  'run sockscope as root or grant it CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH)';

/** Message shown once when the scan worker cannot run and the fd scan falls back to the main thread. */
export const FD_WORKER_NOTICE = 'process enricher: the fd scan worker thread failed, scanning /proc/<pid>/fd on the main thread from now on: ';

/**
 * The process enricher instance. `prepare` maps every socket inode to its pid with one pass over
 * /proc/*\/fd, run by a worker thread (`fd-scan-worker.ts`; the main thread's event loop stays
 * free while it waits), before the collectors read (a socket opened in between has no owner this
 * time); a process that has not run since the previous scan keeps the sockets that scan found
 * (`fd-scanner.ts`). Each record is then given its owner's facts, read once per pid and
 * collection and cached by (pid, start time) across collections.
 */
export function createProcessEnricher(ctx: PluginContext<ProcessEnricherConfig>): Enricher {
  const procfs = ctx.config.procfs_path;
  let cache = new LruCache<string, ProcessInfo>(ctx.config.cache_size);
  let reportedDenied = false;
  const worker = new FdScanWorker(procfs);
  // the first pass reads every fd; do it now, on the worker, rather than in the first collection
  // (whose records would wait for it), so that collections start from a pass to reuse
  worker.scan(new AbortController().signal).catch(() => {}); // a failure shows at the first prepare

  /** Socket inode → pid for this collection: from the worker, or on the main thread if it cannot run. */
  const scan = async (signal: AbortSignal): Promise<{ owner: (inode: number) => number | undefined; denied: number }> => {
    if (!worker.failed) {
      try {
        const r = await worker.scan(signal);
        return { owner: (inode) => ownerOf(r.inodes, r.pids, inode), denied: r.denied };
      } catch (err) {
        if (signal.aborted || !worker.failed) throw err;
        ctx.reportOnce('process:fd-worker', FD_WORKER_NOTICE + (err as Error).message);
      }
    }
    const { owners, denied } = await scanSocketOwners(procfs, signal);
    return { owner: (inode) => owners.get(inode), denied };
  };

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
      const { owner, denied } = await scan(signal);
      if (denied > 0 && !reportedDenied) {
        reportedDenied = true;
        ctx.reportOnce('process:fd-permission', FD_PERMISSION_NOTICE);
      }
      const byPid = new Map<number, ProcessInfo | undefined>();
      const warnings: Warning[] = [];
      return {
        enrich(s: SocketRecord): void {
          if (s.process || s.inode === 0) return;
          const pid = owner(s.inode);
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
      await worker.close();
    },
  };
}
