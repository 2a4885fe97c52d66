import type { ContainerInfo, Enricher, PluginContext, RecordEnrichment, SocketRecord, Warning } from '@sockscope/core';
import type { ContainerEnricherConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { LruCache } from './lru.js';
import { parseCgroup } from './parse-cgroup.js';
import { isGone, parseStat, readNetnsInode, readText } from './proc-files.js';

interface Placement {
  container: ContainerInfo;
  netns?: number;
}

/**
 * The container enricher instance: each record's owner (set by the process enricher) is placed
 * by its /proc/<pid>/cgroup and ns/net, read as the owner's first socket arrives, once per pid
 * and collection, and cached by (pid, start time) across collections. A record without a known
 * owner gets the agent's own namespace (what an absent netns means).
 */
export function createContainerEnricher(ctx: PluginContext<ContainerEnricherConfig>): Enricher {
  const procfs = ctx.config.procfs_path;
  let cache = new LruCache<string, Placement>(ctx.config.cache_size);

  const place = (pid: number, knownStart: number | undefined): Placement | undefined => {
    const dir = `${procfs}/${pid}`;
    try {
      const startTime = knownStart ?? parseStat(readText(`${dir}/stat`))?.startTime;
      if (startTime === undefined) return undefined;
      const key = `${pid}:${startTime}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const placement: Placement = { container: Object.freeze(parseCgroup(readText(`${dir}/cgroup`))) };
      const netns = readNetnsInode(`${dir}/ns/net`);
      if (netns !== undefined) placement.netns = netns;
      cache.set(key, placement);
      return placement;
    } catch (err) {
      if (isGone(err)) return undefined; // exited since the process enricher saw it
      throw err;
    }
  };

  return {
    async prepare(signal: AbortSignal): Promise<RecordEnrichment> {
      signal.throwIfAborted();
      const ownNetns = readNetnsInode(`${procfs}/self/ns/net`);
      const byPid = new Map<number, Placement | undefined>();
      const warnings: Warning[] = [];
      return {
        enrich(s: SocketRecord): void {
          const pid = s.process?.pid;
          if (pid !== undefined) {
            if (!byPid.has(pid)) {
              try {
                byPid.set(pid, place(pid, s.process?.startTime));
              } catch (err) {
                byPid.set(pid, undefined);
                warnings.push(procfsWarning('ERR_CONTAINER_UNREADABLE', `cannot read ${procfs}/${pid}/cgroup: ${(err as Error).message}`));
              }
            }
            const p = byPid.get(pid);
            if (p) {
              if (!s.container) s.container = p.container;
              if (s.netns === undefined && p.netns !== undefined) s.netns = p.netns;
            }
          }
          if (s.netns === undefined && ownNetns !== undefined && s.family !== 'unix') s.netns = ownNetns;
        },
        finish: () => (warnings.length > 0 ? { warnings } : {}),
      };
    },
    async close() {
      cache = new LruCache<string, Placement>(1);
    },
  };
}
