import { readFileSync } from 'node:fs';
import { runStepsSliced, TimeSlice, type Enricher, type PluginContext, type ProcessInfo, type RecordEnrichment, type SocketRecord, type Warning } from '@sockscope/core';
import type { ProcessEnricherConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { createFdScanner, ownerOf, procScannerFs, REUSE_MIN_FDS, type ScanResult } from './fd-scanner.js';
import { LruCache } from './lru.js';
import { isGone, parseCmdline, parseStat, parseStatus, readText } from './proc-files.js';

/** Message shown once when other users' fds are unreadable. */
export const FD_PERMISSION_NOTICE =
  'process enricher: cannot read /proc/<pid>/fd of processes owned by other users (permission denied), so their sockets have no owning process; ' +
  'run sockscope as root or grant it CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH)';

// Yield to the event loop after this much of the fd scan, so that a scrape of a busy host (or of
// one process holding tens of thousands of sockets) does not freeze the agent.
const SCAN_SLICE_MS = 4;

/**
 * The process enricher instance. `prepare` maps every socket inode to its pid with one pass over
 * /proc/*\/fd (`fd-scanner.ts`) before the collectors read (a socket opened in between has no
 * owner this time), on the main thread in slices of 4 ms so the agent keeps answering; a process
 * that has not run since the previous scan keeps the sockets that scan found. Each record is then
 * given its owner's facts, read once per pid and collection and cached by (pid, start time)
 * across collections.
 */
export function createProcessEnricher(ctx: PluginContext<ProcessEnricherConfig>): Enricher {
  const procfs = ctx.config.procfs_path;
  let cache = new LruCache<string, ProcessInfo>(ctx.config.cache_size);
  let reportedDenied = false;
  const scanner = createFdScanner(procScannerFs());
  // one scan at a time (the scanner keeps the previous scan's state for reuse): each waits for the one before
  let last: Promise<unknown> = Promise.resolve();
  let closed = false;
  const scan = (signal: AbortSignal): Promise<ScanResult> => {
    const run = last.then(() => {
      signal.throwIfAborted();
      // an abandoned scan leaves the scanner's state valid
      return runStepsSliced(scanner(procfs, REUSE_MIN_FDS), new TimeSlice(SCAN_SLICE_MS), () => {
        signal.throwIfAborted();
        if (closed) throw new Error('process enricher closed');
      });
    });
    last = run.catch(() => {});
    return run;
  };
  // the first pass reads every fd; start it now rather than in the first collection (whose
  // records would wait for it), so that collections start from a pass to reuse
  scan(new AbortController().signal).catch(() => {}); // a failure shows at the first prepare

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
      const { inodes, pids, denied } = await scan(signal);
      const owner = (inode: number): number | undefined => ownerOf(inodes, pids, inode);
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
      closed = true; // a scan under way stops at its next slice
      await last;
    },
  };
}
