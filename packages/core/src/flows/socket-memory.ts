import type { SocketRecord } from '../types/socket.js';
import type { CounterSlots } from './counter-slots.js';
import type { Series } from './series.js';
import { cookieKey } from '../util/cookie-key.js';

/** What the fold remembers of one live socket between collections. */
export class SocketMemo {
  /** Collection (generation) it was last seen in. */
  gen: number;
  /** Where its last value of each counter lives in the shared {@link CounterSlots} (-1 without counters). */
  readonly slot: number;
  /** The series it folded into last time, and what that choice depended on (read them, do not set them: {@link remember}). */
  series: Series | undefined = undefined;
  process: SocketRecord['process'] = undefined;
  container: SocketRecord['container'] = undefined;
  inbound = false;
  /** Timestamp of the collection that first saw it alive, ms (NaN: never seen alive). */
  firstSeenAt = NaN;
  /** The RTT histogram window it was last observed in (`flows.histogram_interval`). */
  window = -Infinity;
  /** Seen alive in a state past the handshake (not SYN_SENT): its connect succeeded. */
  established = false;

  constructor(gen: number, slot: number) {
    this.gen = gen;
    this.slot = slot;
  }

  /**
   * The series this socket folded into last time, when it still holds: a socket keeps its
   * endpoints for life, so its series only changes when what else the key reads does (owner,
   * container, direction). Undefined when that changed, or when the series sat out the last
   * collection (it may have been forgotten since): then the key is built and looked up again.
   */
  lastSeries(s: SocketRecord, inbound: boolean, gen: number): Series | undefined {
    const g = this.series;
    if (g === undefined || this.process !== s.process || this.container !== s.container || this.inbound !== inbound || g.gen < gen - 1) return undefined;
    return g;
  }

  /**
   * Whether the socket was folded inbound last time (undefined before its first series): the
   * direction the fold's own fallback decided stays with the socket for its life.
   */
  decidedInbound(): boolean | undefined {
    return this.series === undefined ? undefined : this.inbound;
  }

  /** Remembers the series this socket folds into, and what the choice read. */
  remember(g: Series, s: SocketRecord, inbound: boolean): void {
    this.series = g;
    this.process = s.process;
    this.container = s.container;
    this.inbound = inbound;
  }
}

/**
 * The memo of every live socket, keyed by its cookie (else netns + inode + endpoints). A socket
 * not seen in a complete collection is gone: its memo is forgotten and its counter slot given
 * back (the fold decides when, see {@link SocketMemos.forgetSeenBefore}). When
 * more than one network namespace is read, cookies are kept apart per namespace: kernels before
 * 5.10 numbered socket cookies per namespace, so two namespaces could hand out the same one.
 */
export class SocketMemos {
  /** Memos by namespace inode (one map under `undefined` when one namespace is read). */
  private readonly spaces = new Map<number | undefined, Map<number | string, SocketMemo>>();
  private readonly one = new Map<number | string, SocketMemo>();

  /**
   * @param slots where counter values live; undefined when no counter family is on
   * @param perNamespace cookies are told apart by namespace (more than one is read)
   */
  constructor(
    private readonly slots: CounterSlots | undefined,
    private readonly perNamespace = false,
  ) {
    this.spaces.set(undefined, this.one);
  }

  /** The memo of `s` if it was seen before, not marked seen (pass it to {@link see}). */
  find(s: SocketRecord): SocketMemo | undefined {
    const sockets = this.perNamespace && s.netns !== undefined ? this.spaces.get(s.netns) : this.one;
    return sockets?.get(idOf(s));
  }

  /** The memo of `s` (`found` when {@link find} just gave it), marked seen in collection `gen`; a new socket gets a fresh one. */
  see(s: SocketRecord, gen: number, found?: SocketMemo): SocketMemo {
    if (found !== undefined) {
      found.gen = gen;
      return found;
    }
    const id = idOf(s);
    let sockets = this.one;
    if (this.perNamespace && s.netns !== undefined) {
      sockets = this.spaces.get(s.netns) as Map<number | string, SocketMemo>;
      if (sockets === undefined) this.spaces.set(s.netns, (sockets = new Map()));
    }
    let memo = sockets.get(id);
    if (memo === undefined) {
      memo = new SocketMemo(gen, this.slots ? this.slots.take() : -1);
      sockets.set(id, memo);
    }
    memo.gen = gen;
    return memo;
  }

  /** Forgets one socket at once (it closed), giving its counter slot back. */
  forget(s: SocketRecord, memo: SocketMemo): void {
    const sockets = this.perNamespace && s.netns !== undefined ? this.spaces.get(s.netns) : this.one;
    if (sockets?.get(idOf(s)) !== memo) return;
    sockets.delete(idOf(s));
    if (memo.slot >= 0) this.slots?.release(memo.slot);
    if (sockets !== this.one && sockets.size === 0) this.spaces.delete(s.netns);
  }

  /** How many sockets are remembered (for tests and the memory bound). */
  get size(): number {
    let n = 0;
    for (const sockets of this.spaces.values()) n += sockets.size;
    return n;
  }

  /** Forgets every socket last seen before collection `oldest`, giving its counter slot back. */
  forgetSeenBefore(oldest: number): void {
    for (const [ns, sockets] of this.spaces) {
      for (const [id, memo] of sockets) {
        if (memo.gen >= oldest) continue;
        sockets.delete(id);
        if (memo.slot >= 0) this.slots?.release(memo.slot);
      }
      if (ns !== undefined && sockets.size === 0) this.spaces.delete(ns);
    }
  }
}

/** A socket's identity: its cookie (as a number while exact), else its namespace, inode and endpoints. */
function idOf(s: SocketRecord): number | string {
  const c = s.cookie;
  if (c !== undefined) return cookieKey(c);
  return `${s.netns ?? ''}|${s.inode}|${s.local.address}|${s.local.port}|${s.remote.address}|${s.remote.port}`;
}
