import type { MetricFamily, PluginContext, SocketRecord, Warning } from '@sockscope/core';
import type { FfiModule } from './diag-socket.js';
import { createDestroyEventSource, type DestroyEventSource } from './destroy/source.js';
import type { NamespaceTarget } from './namespaces.js';

/** Options of {@link createLifecycle}, from the collector's config. */
export interface LifecycleOptions {
  /** Receive buffer per destroy-event socket, bytes. */
  rcvbuf: number;
  /** Closed records kept between two collections. */
  maxBuffered: number;
}

/** What one collection takes from the destroy events. */
export interface LifecycleDrain {
  /** Sockets closed since the previous collection, oldest first, each with `closedAt`. */
  records: SocketRecord[];
  /** The sources' warnings since then. */
  warnings: Warning[];
}

/** The collector's destroy-event side: one source for the namespaces it reads, replaced when that set changes. */
export interface Lifecycle {
  /**
   * Makes the source listen in exactly `targets` (the namespaces this collection read): when
   * the set changed, a new source for the new set starts, and the old one is stopped and its
   * last records kept for the next {@link drain}.
   */
  follow(targets: readonly NamespaceTarget[]): Promise<void>;
  /** The records closed since the last drain and the warnings. */
  drain(): LifecycleDrain;
  /** `sockscope_lifecycle_*`: events received, dropped by the bounds, ENOBUFS. */
  families(): MetricFamily[];
  /** Stops every source. */
  close(): Promise<void>;
}

const keyOf = (targets: readonly NamespaceTarget[]) => targets.map((t) => t.inode).sort((a, b) => a - b).join(',');

/**
 * Starts listening in `targets` at once (the collector's create), so that the sockets closed
 * before the first collection are heard too.
 */
export async function createLifecycle(
  targets: readonly NamespaceTarget[],
  options: LifecycleOptions,
  ctx: Pick<PluginContext<unknown>, 'platform' | 'reportOnce'>,
  loadFfiModule: () => Promise<FfiModule>,
): Promise<Lifecycle> {
  // Namespace problems (not found, not enterable) are the dump's to say, once: the source follows
  // what the dump reads, so its own words about them would repeat the dump's.
  const quiet = { platform: ctx.platform, reportOnce: (key: string, message: string) => void (key !== 'destroy-events:netns-permission' && ctx.reportOnce(key, message)) };
  const open = (t: readonly NamespaceTarget[]) => createDestroyEventSource({ targets: t, rcvbuf: options.rcvbuf, maxBuffered: options.maxBuffered }, quiet, loadFfiModule);
  const own = (ws: readonly Warning[]) => ws.filter((w) => w.code !== 'ERR_NETLINK_NAMESPACE');
  let key = keyOf(targets);
  let source: DestroyEventSource = await open(targets);
  source.start();
  // closed records handed to the collections; the drops and ENOBUFS of sources already replaced
  let handed = 0;
  const retired = { dropped: 0, enobufs: 0 };
  // what a replaced source read last, for the next drain
  let carried: LifecycleDrain = { records: [], warnings: [] };
  // cookies the replaced source handed over: the new one, subscribed meanwhile, may hear them again
  let overlap = new Set<bigint | undefined>();

  const families = (): MetricFamily[] => {
    const s = source.stats();
    const family = (name: string, help: string, value: number, otel: string, unit: string): MetricFamily => ({
      name,
      help,
      type: 'counter',
      samples: [{ labels: {}, value }],
      otel: { name: otel, unit },
    });
    return [
      family('sockscope_lifecycle_events_received_total', 'Socket-destroy events (sock_diag destroy groups) handed to the pipeline as closed sockets; with the dropped ones, every event the kernel delivered.', handed, 'sockscope.lifecycle.events.received', '{event}'),
      family('sockscope_lifecycle_events_dropped_total', 'Socket-destroy events dropped by the agent\'s bounds (destroy_max_buffered, or the reader thread ahead of the main thread): their last deltas are lost.', retired.dropped + s.dropped, 'sockscope.lifecycle.events.dropped', '{event}'),
      family('sockscope_lifecycle_enobufs_total', 'Times the kernel dropped socket-destroy events it could not queue (recv() returned ENOBUFS; how many were lost it does not say): raise destroy_rcvbuf.', retired.enobufs + s.enobufs, 'sockscope.lifecycle.enobufs', '{error}'),
    ];
  };

  return {
    async follow(next) {
      const k = keyOf(next);
      if (k === key) return;
      const old = source;
      source = await open(next);
      source.start();
      key = k;
      await old.close();
      const last = old.drain();
      const s = old.stats();
      retired.dropped += s.dropped;
      retired.enobufs += s.enobufs;
      carried = { records: [...carried.records, ...last.records], warnings: [...carried.warnings, ...own(last.warnings)] };
      overlap = new Set(last.records.map((r) => r.cookie).filter((c) => c !== undefined));
    },
    drain() {
      const now = source.drain();
      const fresh = overlap.size > 0 ? now.records.filter((r) => r.cookie === undefined || !overlap.has(r.cookie)) : now.records;
      overlap = new Set();
      const out: LifecycleDrain = { records: carried.records.length > 0 ? [...carried.records, ...fresh] : fresh, warnings: [...carried.warnings, ...own(now.warnings)] };
      carried = { records: [], warnings: [] };
      handed += out.records.length;
      return out;
    },
    families,
    async close() {
      await source.close();
    },
  };
}
