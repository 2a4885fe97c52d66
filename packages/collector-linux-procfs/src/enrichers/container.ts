import { defineEnricher, type ContainerInfo, type SocketRecord } from '@sockscope/core';
import { LruCache } from './lru.js';
import { parseCgroup } from './parse-cgroup.js';
import { isGone, parseStat, procfsEnricherSchema, readNetnsInode, readText } from './proc-files.js';

/** Config of the container enricher. */
export interface ContainerEnricherConfig {
  /** Where procfs is mounted. */
  procfs_path: string;
  /** Processes whose cgroup facts are kept between collections, keyed by (pid, start time). */
  cache_size: number;
}

interface Placement {
  container: ContainerInfo;
  netns?: number;
}

/**
 * Sets `record.container` (container id and runtime, systemd unit, Kubernetes pod UID and QoS
 * class) from /proc/<pid>/cgroup of the owning process, and `record.netns` when the record has
 * none: the owner's /proc/<pid>/ns/net, or for sockets without a known owner the agent's own
 * namespace (what an absent netns means), so every record can be compared by namespace.
 */
export const containerEnricher = defineEnricher<ContainerEnricherConfig>({
  name: 'container',
  description: 'Container, Kubernetes pod, systemd unit and network namespace of each socket owner from /proc/<pid>/cgroup and ns/net',
  platforms: ['linux'],
  defaultEnabled: true,
  after: ['process'],
  configSchema: procfsEnricherSchema,
  create(ctx) {
    const procfs = ctx.config.procfs_path ?? '/proc';
    let cache = new LruCache<string, Placement>(ctx.config.cache_size ?? 8192);

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

    /** One collection's placement step: the owner's cgroup facts, read once per pid. */
    const placement = () => {
      const ownNetns = readNetnsInode(`${procfs}/self/ns/net`);
      const byPid = new Map<number, Placement | undefined>();
      const warnings: string[] = [];
      const placeRecord = (s: SocketRecord): void => {
        const pid = s.process?.pid;
        if (pid !== undefined) {
          if (!byPid.has(pid)) {
            try {
              byPid.set(pid, place(pid, s.process?.startTime));
            } catch (err) {
              byPid.set(pid, undefined);
              warnings.push(`cannot read ${procfs}/${pid}/cgroup: ${(err as Error).message}`);
            }
          }
          const p = byPid.get(pid);
          if (p) {
            if (!s.container) s.container = p.container;
            if (s.netns === undefined && p.netns !== undefined) s.netns = p.netns;
          }
        }
        if (s.netns === undefined && ownNetns !== undefined && s.family !== 'unix') s.netns = ownNetns;
      };
      return { placeRecord, finish: () => (warnings.length > 0 ? { warnings } : {}) };
    };

    return {
      async enrich(sockets: SocketRecord[], signal: AbortSignal) {
        const { placeRecord, finish } = placement();
        for (const s of sockets) {
          if (s.process && !s.container) signal.throwIfAborted();
          placeRecord(s);
        }
        return finish();
      },
      async prepare() {
        const { placeRecord, finish } = placement();
        return { enrich: placeRecord, finish };
      },
      async close() {
        cache = new LruCache<string, Placement>(1);
      },
    };
  },
});
