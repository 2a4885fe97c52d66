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
  // firstSeenAt and window hold numbers past the small-integer range, so they start undefined
  // rather than NaN or -Infinity: a field first given a double keeps a boxed double of its own
  // per memo, one more cache miss per socket on every read
  /** Timestamp of the collection that first saw it alive, ms (undefined: never seen alive). */
  firstSeenAt: number | undefined = undefined;
  /** The RTT histogram window it was last observed in (`flows.histogram_interval`; undefined: never). */
  window: number | undefined = undefined;
  /** Seen alive in a state past the handshake (not SYN_SENT): its connect succeeded. */
  established = false;
  /** Its identity and namespace key in {@link SocketMemos} (what the order cursor compares). */
  readonly id: number | string;
  readonly ns: number | undefined;
  /** Its position in the order of the collection that saw it last (see {@link SocketMemos}). */
  pos = -1;
  /** Still remembered: false once forgotten (its socket closed or went unseen). */
  live = true;

  constructor(gen: number, slot: number, id: number | string = NaN, ns?: number) {
    this.gen = gen;
    this.slot = slot;
    this.id = id;
    this.ns = ns;
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
 *
 * The kernel dumps sockets in its hash tables' order, which stays the same between dumps while
 * the sockets do: so the memos are also kept in the order the last collection saw them, and a
 * cursor over that order is tried before the map (the i-th socket's memo is most often the one
 * after the previous socket's). A miss (a socket opened, or one before it closed) falls back to
 * the map, whose answer moves the cursor to just past that memo. The cursor is only a guess:
 * a memo it offers is taken only with the same identity and namespace, and while remembered.
 */
export class SocketMemos {
  /** Memos by namespace inode (one map under `undefined` when one namespace is read). */
  private readonly spaces = new Map<number | undefined, Map<number | string, SocketMemo>>();
  private readonly one = new Map<number | string, SocketMemo>();
  /** The memos the last collection saw, in its order (`orderLength` of them), and the cursor in it. */
  private order: (SocketMemo | undefined)[] = [];
  private orderLength = 0;
  private cursor = 0;
  /** The memos the collection `nextGen` has seen so far, in order. */
  private next: (SocketMemo | undefined)[] = [];
  private nextLength = 0;
  private nextGen = NaN;
  /** Remembered memos last seen in collection `nextGen` (when it is every one, none is older). */
  private seenNow = 0;

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
    const ns = this.perNamespace ? s.netns : undefined;
    const id = idOf(s);
    return this.atCursor(id, ns) ?? this.lookUp(ns === undefined ? this.one : this.spaces.get(ns), id);
  }

  /** The memo of `s` (`found` when {@link find} just gave it), marked seen in collection `gen`; a new socket gets a fresh one. */
  see(s: SocketRecord, gen: number, found?: SocketMemo): SocketMemo {
    if (gen !== this.nextGen) this.turn(gen);
    let memo = found;
    if (memo === undefined) {
      const ns = this.perNamespace ? s.netns : undefined;
      const id = idOf(s);
      memo = this.atCursor(id, ns);
      if (memo === undefined) {
        let sockets = this.one;
        if (ns !== undefined) {
          sockets = this.spaces.get(ns) as Map<number | string, SocketMemo>;
          if (sockets === undefined) this.spaces.set(ns, (sockets = new Map()));
        }
        memo = this.lookUp(sockets, id);
        if (memo === undefined) {
          memo = new SocketMemo(gen, this.slots ? this.slots.take() : -1, id, ns);
          sockets.set(id, memo);
        }
      }
    }
    if (memo.gen !== gen || memo.pos < 0 || this.next[memo.pos] !== memo) {
      memo.pos = this.nextLength;
      this.next[this.nextLength++] = memo;
      this.seenNow++;
    }
    memo.gen = gen;
    return memo;
  }

  /** The memo at the cursor when it is the one of (`id`, `ns`) and still remembered (the cursor moves past it). */
  private atCursor(id: number | string, ns: number | undefined): SocketMemo | undefined {
    const i = this.cursor;
    if (i >= this.orderLength) return undefined;
    const m = this.order[i] as SocketMemo;
    if (m.id !== id || m.ns !== ns || !m.live) return undefined;
    this.cursor = i + 1;
    return m;
  }

  /** The map's memo of `id`; one the last collection saw moves the cursor to just past it. */
  private lookUp(sockets: Map<number | string, SocketMemo> | undefined, id: number | string): SocketMemo | undefined {
    const m = sockets?.get(id);
    if (m !== undefined && m.pos >= 0 && m.pos < this.orderLength && this.order[m.pos] === m) this.cursor = m.pos + 1;
    return m;
  }

  /** A new collection (`gen`): the order the last one saw becomes the one the cursor walks. */
  private turn(gen: number): void {
    const old = this.order;
    // the references past the new length are dropped, so forgotten memos are not held
    for (let i = this.nextLength; i < this.orderLength; i++) old[i] = undefined;
    this.order = this.next;
    this.orderLength = this.nextLength;
    this.next = old;
    this.nextLength = 0;
    this.nextGen = gen;
    this.cursor = 0;
    this.seenNow = 0;
  }

  /** Forgets one socket at once (it closed), giving its counter slot back. */
  forget(s: SocketRecord, memo: SocketMemo): void {
    // the memo knows its key (see): no identity string built again for a cookieless socket
    const sockets = memo.ns === undefined ? this.one : this.spaces.get(memo.ns);
    if (sockets?.get(memo.id) !== memo) return;
    sockets.delete(memo.id);
    memo.live = false;
    if (memo.gen === this.nextGen) this.seenNow--;
    if (memo.slot >= 0) this.slots?.release(memo.slot);
    if (sockets !== this.one && sockets.size === 0) this.spaces.delete(memo.ns);
  }

  /** How many sockets are remembered (for tests and the memory bound). */
  get size(): number {
    let n = 0;
    for (const sockets of this.spaces.values()) n += sockets.size;
    return n;
  }

  /** Forgets every socket last seen before collection `oldest`, giving its counter slot back. */
  forgetSeenBefore(oldest: number): void {
    // every memo remembered was seen in the last collection (the common case): none is older
    if (oldest <= this.nextGen && this.seenNow === this.size) return;
    for (const [ns, sockets] of this.spaces) {
      for (const [id, memo] of sockets) {
        if (memo.gen >= oldest) continue;
        sockets.delete(id);
        memo.live = false;
        if (memo.gen === this.nextGen) this.seenNow--;
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
