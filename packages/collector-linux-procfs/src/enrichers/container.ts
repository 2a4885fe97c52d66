import type { ContainerInfo, Enricher, MetricFamily, PluginContext, RecordEnrichment, SocketRecord, Warning } from '@sockscope/core';
import type { ContainerEnricherConfig } from '../config.js';
import { procfsWarning } from '../errors.js';
import { LruCache } from './lru.js';
import { netnsNames, readNetnsNames, type NetnsEntry, type NetnsResolver } from './netns-names.js';
import { parseCgroup } from './parse-cgroup.js';
import { isGone, parseStat, readNetnsInode, readText } from './proc-files.js';
import { RuntimeNames, withRuntimeNames, type CacheStats, type RuntimeNamesOptions } from './runtime-names.js';
import type { RuntimeContainer } from './runtimes/index.js';
import { systemdUnit } from './systemd-unit.js';

/** One process's place, cached by (pid, start time) across collections. */
interface Placement {
  /** What its cgroup says (ids, unit), before any runtime names. */
  base: ContainerInfo;
  /** The frozen object every record of this owner shares. */
  container: ContainerInfo;
  /** The runtime answer `container` was built with: a new answer means a new object. */
  namedFrom?: RuntimeContainer;
  /** Name for its network namespace from its container: `namespace/pod`, or the container's name. */
  netnsLabel?: string;
  netns?: number;
}

/** An owner as one collection sees it. */
interface Owner {
  container: ContainerInfo;
  netns?: number;
  /** Its namespace's name when neither the host's nor an `ip netns` one: `namespace/pod` or the container's name. */
  netnsName?: string;
}

// /run/netns changes when someone runs `ip netns add`: re-listing it every few seconds at most
// keeps a scrape storm from stat()ing it on every collection
const NETNS_REFRESH_MS = 5_000;

/** Options of {@link createContainerEnricher} beyond its config (tests: the clock of the runtime-name retries and the /run/netns refresh). */
export type ContainerEnricherOptions = RuntimeNamesOptions;

/**
 * The container enricher instance: each record's owner (set by the process enricher) is placed
 * by its /proc/<pid>/cgroup and ns/net, read as the owner's first socket arrives, once per pid
 * and collection, and cached by (pid, start time) across collections. A container's names come
 * from its runtime's state on disk (RuntimeNames, cached by container id). A record without a
 * known owner gets the agent's own namespace (what an absent netns means). Every record with a
 * namespace gets its name: `system`, its `ip netns` name, or its container's.
 */
export function createContainerEnricher(ctx: PluginContext<ContainerEnricherConfig>, options: ContainerEnricherOptions = {}): Enricher {
  const { procfs_path: procfs, netns_run_dir: netnsDir } = ctx.config;
  let cache = new LruCache<string, Placement>(ctx.config.cache_size);
  const cgroupStats = { hits: 0, misses: 0, evictions: 0 };
  const names = new RuntimeNames(ctx.config.runtime_roots, options);
  let netnsEntries: NetnsEntry[] = [];
  let netnsReadAt = -Infinity;
  let netnsNoticed = false;
  const now = options.now ?? Date.now;

  const place = (pid: number, knownStart: number | undefined): Placement | undefined => {
    const dir = `${procfs}/${pid}`;
    try {
      const startTime = knownStart ?? parseStat(readText(`${dir}/stat`))?.startTime;
      if (startTime === undefined) return undefined;
      const key = `${pid}:${startTime}`;
      const hit = cache.get(key);
      if (hit) {
        cgroupStats.hits++;
        return hit;
      }
      cgroupStats.misses++;
      const base = parseCgroup(readText(`${dir}/cgroup`));
      const unit = base.systemdUnit === undefined ? undefined : systemdUnit(base.systemdUnit);
      if (unit) {
        base.unitKind = unit.kind;
        base.unitName = unit.name;
      }
      const placement: Placement = { base, container: Object.freeze(base) };
      const netns = readNetnsInode(`${dir}/ns/net`);
      if (netns !== undefined) placement.netns = netns;
      if (cache.size >= cache.max) cgroupStats.evictions++; // the set below pushes the oldest out
      cache.set(key, placement);
      return placement;
    } catch (err) {
      if (isGone(err)) return undefined; // exited since the process enricher saw it
      throw err;
    }
  };

  /** The placement with its container's runtime names, rebuilt only when the answer changed. */
  const named = (p: Placement): Placement => {
    const id = p.base.id;
    if (id === undefined) return p;
    const rc = names.lookup(id, p.base.runtime);
    if (rc !== undefined && rc !== p.namedFrom) {
      const c = withRuntimeNames(p.base, rc);
      p.container = Object.freeze(c);
      p.namedFrom = rc;
      // a pod's containers share its namespace: the pod names it; a lone container names its own
      const label = c.pod !== undefined ? (c.namespace !== undefined ? `${c.namespace}/${c.pod}` : c.pod) : c.name;
      if (label !== undefined) p.netnsLabel = label;
    }
    return p;
  };

  return {
    async prepare(signal: AbortSignal): Promise<RecordEnrichment> {
      signal.throwIfAborted();
      const ownNetns = readNetnsInode(`${procfs}/self/ns/net`);
      // the host's namespace is pid 1's; the agent's own stands in when /proc/1 is not visible
      const hostNetns = readNetnsInode(`${procfs}/1/ns/net`) ?? ownNetns;
      const warnings: Warning[] = [];
      if (now() - netnsReadAt >= NETNS_REFRESH_MS) {
        netnsReadAt = now();
        try {
          netnsEntries = await readNetnsNames(netnsDir, procfs);
        } catch (err) {
          // said once: it is retried every few seconds, and would otherwise be every collection's warning
          if (!netnsNoticed) {
            netnsNoticed = true;
            const message = `cannot list ${netnsDir} for network namespace names: ${(err as Error).message}; namespaces are named only system or by their container (set enrichers.container.netns_run_dir)`;
            ctx.reportOnce(`netns-names:${netnsDir}`, message);
            warnings.push(procfsWarning('ERR_NETNS_NAMES_UNREADABLE', message));
          }
        }
      }
      const resolve: NetnsResolver = hostNetns === undefined ? () => undefined : netnsNames(netnsEntries, hostNetns);
      const byPid = new Map<number, Owner | undefined>();

      const ownerOf = (pid: number, startTime: number | undefined): Owner | undefined => {
        if (byPid.has(pid)) return byPid.get(pid);
        let owner: Owner | undefined;
        try {
          const p = place(pid, startTime);
          if (p) {
            const { container, netns, netnsLabel } = named(p);
            owner = { container };
            if (netns !== undefined) owner.netns = netns;
            if (netnsLabel !== undefined) owner.netnsName = netnsLabel;
          }
        } catch (err) {
          warnings.push(procfsWarning('ERR_CONTAINER_UNREADABLE', `cannot read ${procfs}/${pid}/cgroup: ${(err as Error).message}`));
        }
        byPid.set(pid, owner);
        return owner;
      };

      return {
        enrich(s: SocketRecord): void {
          const pid = s.process?.pid;
          const owner = pid === undefined ? undefined : ownerOf(pid, s.process?.startTime);
          if (owner) {
            if (!s.container) s.container = owner.container;
            if (s.netns === undefined && owner.netns !== undefined) s.netns = owner.netns;
          }
          if (s.netns === undefined && ownNetns !== undefined && s.family !== 'unix') s.netns = ownNetns;
          if (s.netnsName === undefined && s.netns !== undefined) {
            // a container's name only for its own namespace: a socket it holds in another is not its
            const name = resolve(s.netns) ?? (owner?.netns === s.netns ? owner.netnsName : undefined);
            if (name !== undefined) s.netnsName = name;
          }
        },
        finish(complete = true) {
          names.endCollection(complete);
          for (const n of names.takeNotices()) {
            ctx.reportOnce(n.key, n.message);
            warnings.push(procfsWarning(n.code, n.message));
          }
          const families = cacheFamilies({ ...cgroupStats, entries: cache.size }, names.stats());
          return warnings.length > 0 ? { warnings, families } : { families };
        },
      };
    },
    async close() {
      cache = new LruCache<string, Placement>(1);
      names.clear();
    },
  };
}

/** `sockscope_owner_cache_*{cache}` for the pid → placement (`cgroup`) and container id → names (`runtime`) caches. */
function cacheFamilies(cgroup: CacheStats, runtime: CacheStats): MetricFamily[] {
  const family = (name: string, help: string, type: 'counter' | 'gauge', pick: (s: CacheStats) => number, otel: string, unit: string): MetricFamily => ({
    name,
    help,
    type,
    samples: [
      { labels: { cache: 'cgroup' }, value: pick(cgroup) },
      { labels: { cache: 'runtime' }, value: pick(runtime) },
    ],
    otel: { name: otel, unit },
  });
  return [
    family('sockscope_owner_cache_hits_total', 'Socket owner lookups answered from cache (cgroup: pid placement; runtime: container names).', 'counter', (s) => s.hits, 'sockscope.owner_cache.hits', '{lookup}'),
    family('sockscope_owner_cache_misses_total', 'Socket owner lookups that read /proc (cgroup) or runtime state files (runtime).', 'counter', (s) => s.misses, 'sockscope.owner_cache.misses', '{lookup}'),
    family('sockscope_owner_cache_evictions_total', 'Entries dropped from a socket owner cache (LRU bound for cgroup; container gone for runtime).', 'counter', (s) => s.evictions, 'sockscope.owner_cache.evictions', '{entry}'),
    family('sockscope_owner_cache_entries', 'Entries held by a socket owner cache.', 'gauge', (s) => s.entries, 'sockscope.owner_cache.entries', '{entry}'),
  ];
}
