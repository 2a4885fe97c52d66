import { readFileSync } from 'node:fs';
import { defineEnricher, type ProcessInfo, type SocketRecord } from '@sockscope/core';
import { scanSocketOwners } from './fd-scan.js';
import { LruCache } from './lru.js';
import { isGone, parseCmdline, parseStat, parseStatus, procfsEnricherSchema, readText } from './proc-files.js';

/** Config of the process enricher. */
export interface ProcessEnricherConfig {
  /** Where procfs is mounted. */
  procfs_path: string;
  /** Processes whose comm/cmdline/status are kept between collections, keyed by (pid, start time). */
  cache_size: number;
}

/** Message shown once when other users' fds are unreadable. */
export const FD_PERMISSION_NOTICE =
  'process enricher: cannot read /proc/<pid>/fd of processes owned by other users (permission denied), so their sockets have no owning process; ' +
  'run sockscope as root or grant it CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH)';

/**
 * Sets `record.process` (pid, ppid, comm, cmdline, uid, start time) from one pass over
 * /proc/*\/fd per collection; process files are read only for pids that own a socket in the input.
 */
export const processEnricher = defineEnricher<ProcessEnricherConfig>({
  name: 'process',
  description: 'Owning process of each socket (pid, comm, cmdline, uid) from /proc/<pid>/fd',
  platforms: ['linux'],
  defaultEnabled: true,
  configSchema: procfsEnricherSchema,
  create(ctx) {
    const procfs = ctx.config.procfs_path ?? '/proc';
    let cache = new LruCache<string, ProcessInfo>(ctx.config.cache_size ?? 8192);
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

    /** Scans for owners, reports missing permission once, and returns the per-record step. */
    const attribution = async (wanted: ReadonlySet<number> | undefined, signal: AbortSignal) => {
      const { owners, denied } = await scanSocketOwners(procfs, wanted, signal);
      if (denied > 0 && !reportedDenied) {
        reportedDenied = true;
        ctx.reportOnce('process:fd-permission', FD_PERMISSION_NOTICE);
      }
      const byPid = new Map<number, ProcessInfo | undefined>();
      const warnings: string[] = [];
      const attribute = (s: SocketRecord): void => {
        if (s.process || s.inode === 0) return;
        const pid = owners.get(s.inode);
        if (pid === undefined) return;
        if (!byPid.has(pid)) {
          try {
            byPid.set(pid, describe(pid));
          } catch (err) {
            byPid.set(pid, undefined);
            warnings.push(`cannot read ${procfs}/${pid}: ${(err as Error).message}`);
          }
        }
        const info = byPid.get(pid);
        if (info) s.process = info;
      };
      return { attribute, finish: () => (warnings.length > 0 ? { warnings } : {}) };
    };

    return {
      async enrich(sockets: SocketRecord[], signal: AbortSignal) {
        const wanted = new Set<number>();
        for (const s of sockets) if (s.inode > 0 && !s.process) wanted.add(s.inode);
        const { attribute, finish } = await attribution(wanted, signal);
        for (const s of sockets) attribute(s);
        return finish();
      },
      // Streamed, the fd pass comes before the dump and maps every socket: a socket opened in
      // between has no owner this time (on a whole snapshot, one closed in between has none).
      async prepare(signal: AbortSignal) {
        const { attribute, finish } = await attribution(undefined, signal);
        return { enrich: attribute, finish };
      },
      async close() {
        cache = new LruCache<string, ProcessInfo>(1);
      },
    };
  },
});
