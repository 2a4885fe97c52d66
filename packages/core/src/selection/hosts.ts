import { parseCidr, type IpNetwork } from './ip.js';

/** Resolves a host name to its addresses (the app passes node:dns; core never touches the network). */
export type ResolveHost = (name: string) => Promise<string[]>;

/** Host names kept resolved in the background; render reads whatever is known now. */
export interface HostWatcher {
  /** Addresses currently known for all names, as host networks. */
  networks(): readonly IpNetwork[];
  /** Starts a refresh when the last one is older than the TTL; never waits for it. */
  tick(): void;
  /** Resolves when the refresh in flight (if any) has finished: for tests and start-up. */
  settled(): Promise<void>;
  /** Bumped each time the known addresses change, so callers can drop cached matches. */
  version(): number;
}

/** Watches host names: resolves on the first tick and again once `ttlMs` has passed. */
export function createHostWatcher(names: readonly string[], resolve: ResolveHost, ttlMs: number, now: () => number): HostWatcher {
  const known = new Map<string, IpNetwork[]>();
  let flat: IpNetwork[] = [];
  let lastStart = -Infinity;
  let inflight: Promise<void> | undefined;
  let version = 0;

  const refresh = async () => {
    const results = await Promise.allSettled(names.map((n) => resolve(n)));
    results.forEach((r, i) => {
      // A failed lookup keeps the previous answer: a DNS hiccup must not empty the selection.
      if (r.status !== 'fulfilled') return;
      const nets: IpNetwork[] = [];
      for (const a of r.value) {
        const net = parseCidr(a);
        if (typeof net !== 'string') nets.push(net);
      }
      known.set(names[i] as string, nets);
    });
    flat = [...known.values()].flat();
    version++;
  };

  return {
    networks: () => flat,
    tick() {
      if (names.length === 0 || inflight || now() - lastStart < ttlMs) return;
      lastStart = now();
      inflight = refresh()
        .catch(() => undefined)
        .finally(() => {
          inflight = undefined;
        });
    },
    settled: () => inflight ?? Promise.resolve(),
    version: () => version,
  };
}

/** The default resolver when the app gives none: knows no names. */
export const resolveNothing: ResolveHost = () => Promise.resolve([]);
