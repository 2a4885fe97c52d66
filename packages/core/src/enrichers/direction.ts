import { addressSpace, type AddressSpace } from '../net/address-space.js';
import type { Direction, SocketRecord } from '../types/socket.js';
import { cookieKey } from '../util/cookie-key.js';

// Classifies sockets the way netdata's network viewer does (libnetdata/local-sockets), with
// three deliberate differences, all to avoid calling a socket what it is not:
// - netdata calls any socket with a zero local or remote address "listen"; here only TCP LISTEN
//   and unconnected UDP/raw sockets bound to a port are, and a TCP socket with no peer that is
//   not listening (bound, not yet connected) gets no direction.
// - netdata matches a connection's local port against listening ports by protocol, family,
//   port and namespace; here the listener's address must also accept the connection's local
//   address (0.0.0.0 takes IPv4 and v4-mapped, :: takes all unless v6only, else equal), so an
//   outbound connection whose ephemeral port happens to equal a port listened on elsewhere stays
//   outbound.
// - netdata splits local into local-inbound and local-outbound and keeps one table of local
//   addresses for all namespaces; here there is one `local`, decided per namespace.
// Unix sockets are `listen` when listening and `local` otherwise.
//
// Two rules netdata lacks keep a server's connections inbound when it stops listening (a graceful
// drain closes the listening socket and serves the connections it accepted): a connection no
// listener accounts for is inbound when its local port is not ephemeral and its peer's is, and
// the direction enricher remembers inbound and outbound by socket for the connection's life.

const NO_NAMESPACE = -1;

/** A port range, both ends included. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The kernel's default ephemeral ports (`net.ipv4.ip_local_port_range`: 32768 60999). */
export const DEFAULT_EPHEMERAL_PORTS: PortRange = Object.freeze({ from: 32768, to: 60999 });

/**
 * Direction by ports alone, for a connection no listening socket accounts for: inbound when its
 * local port is outside the ephemeral range and its peer's port inside it (a server port talking
 * to a client's port, e.g. accepted before its listener closed), else outbound.
 */
export function inboundByPorts(s: SocketRecord, ephemeral: PortRange): boolean {
  const l = s.local.port;
  const r = s.remote.port;
  return (l < ephemeral.from || l > ephemeral.to) && r >= ephemeral.from && r <= ephemeral.to;
}

/** What is wrong with an ephemeral port range, as `path: message` lines (none when it is good). */
export function portRangeProblems(range: PortRange, path: string): string[] {
  const problems: string[] = [];
  for (const end of ['from', 'to'] as const) {
    const v = range[end];
    if (!Number.isInteger(v) || v < 1 || v > 65535) problems.push(`${path}.${end}: must be a port number 1-65535, not ${JSON.stringify(v)}`);
  }
  if (problems.length === 0 && range.from > range.to) {
    problems.push(`${path}: from (${range.from}) is above to (${range.to}); give the range as net.ipv4.ip_local_port_range does, e.g. { from: 32768, to: 60999 }`);
  }
  return problems;
}

/** An address with v4-mapped IPv6 (`::ffff:a.b.c.d`) reduced to its IPv4 form. */
export function unmapAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** True for 0.0.0.0 and ::. */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/** True for 127.0.0.0/8, ::1 and their v4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const a = unmapAddress(address);
  return a.startsWith('127.') || a === '::1';
}

/** True when a socket waits for peers: TCP LISTEN, or a UDP/raw socket bound to a port with no peer. */
export function isListening(s: SocketRecord): boolean {
  // a closed socket (a destroy event, `closedAt`) listens to nothing: it is handed over after the live ones
  if (s.closedAt !== undefined) return false;
  if (s.state === 'LISTEN') return true;
  if (s.protocol !== 'udp' && s.protocol !== 'raw') return false;
  return s.local.port !== 0 && !isConnected(s);
}

function isConnected(s: SocketRecord): boolean {
  return s.remote.port !== 0 || !isWildcardAddress(s.remote.address);
}

interface Listener {
  address: string;
  v6only: boolean;
}

function acceptsLocal(l: Listener, local: string): boolean {
  if (l.address === '0.0.0.0') return !local.includes(':');
  if (l.address === '::') return !(l.v6only && !local.includes(':'));
  return l.address === local;
}

/** Options of a {@link DirectionBook}. */
export interface DirectionOptions {
  /** The host's ephemeral ports (`net.ipv4.ip_local_port_range`); default 32768-60999. */
  ephemeralPorts?: PortRange;
}

/**
 * What decides directions within one collection: the listening sockets and the local
 * addresses of each network namespace, learnt socket by socket, and the ephemeral ports for a
 * connection no listener accounts for.
 */
export class DirectionBook {
  private readonly listeners = new Map<string, Listener[]>();
  /**
   * The local addresses of each namespace (inode, or NO_NAMESPACE): a set per namespace looked
   * up by the address string itself, whose hash the string keeps, where one set of
   * `namespace|address` texts built a new string for every socket learnt and classified.
   */
  private readonly localAddresses = new Map<number, Set<string>>();
  private readonly ephemeral: PortRange;

  constructor(options: DirectionOptions = {}) {
    this.ephemeral = options.ephemeralPorts ?? DEFAULT_EPHEMERAL_PORTS;
  }

  /** Takes note of a socket's local address and, for a listening socket, its port. */
  learn(s: SocketRecord): void {
    if (s.family === 'unix') return;
    const local = unmapAddress(s.local.address);
    const ns = s.netns ?? NO_NAMESPACE;
    if (!isWildcardAddress(local)) {
      let set = this.localAddresses.get(ns);
      if (set === undefined) this.localAddresses.set(ns, (set = new Set()));
      set.add(local);
    }
    if (isListening(s)) {
      const key = `${ns}|${s.protocol}|${s.local.port}`;
      const list = this.listeners.get(key) ?? [];
      list.push({ address: local, v6only: s.v6only === true });
      this.listeners.set(key, list);
    }
  }

  /** The direction of a socket from what has been learnt so far; undefined when it has none. */
  classify(s: SocketRecord): Direction | undefined {
    if (s.family === 'unix') return s.state === 'LISTEN' ? 'listen' : 'local';
    if (isListening(s)) return 'listen';
    if (!isConnected(s)) return undefined;
    const ns = s.netns ?? NO_NAMESPACE;
    const local = unmapAddress(s.local.address);
    const remote = unmapAddress(s.remote.address);
    if (isLoopbackAddress(remote) || isLoopbackAddress(local) || this.localAddresses.get(ns)?.has(remote) === true) return 'local';
    const candidates = this.listeners.get(`${ns}|${s.protocol}|${s.local.port}`);
    if (candidates?.some((l) => acceptsLocal(l, local))) return 'inbound';
    return inboundByPorts(s, this.ephemeral) ? 'inbound' : 'outbound';
  }
}

/** What {@link DirectionMemory} keeps of one connection. */
interface Remembered {
  inbound: boolean;
  /** Collection it was last seen in. */
  gen: number;
  /** Its ports: an inode reused by another socket is not the same connection. */
  readonly localPort: number;
  readonly remotePort: number;
}

/**
 * Which remembered sockets to forget when a collection ends: those a complete collection did not
 * see; after a partial one (a collector timed out part-way), only those no collection has seen for
 * the retention time, so a collector that never finishes cannot grow the memory without bound.
 * The caller numbers its collections and marks each socket with the number it was last seen in.
 */
export class UnseenCutoff {
  /** Collections since the last complete one (that one first), and when each was taken. */
  private since: { gen: number; at: number }[] = [];

  constructor(private readonly retentionMs: number) {}

  /**
   * Ends collection `gen`, taken at `at` (ms): the oldest collection a socket must have been
   * seen in to be kept, or undefined when none is to be forgotten.
   */
  end(gen: number, at: number, complete: boolean): number | undefined {
    if (complete) {
      this.since = [{ gen, at }];
      return gen;
    }
    this.since.push({ gen, at });
    let n = 0;
    while (n < this.since.length - 1 && (this.since[n] as { at: number }).at <= at - this.retentionMs) n++;
    if (n === 0) return undefined;
    this.since.splice(0, n);
    return (this.since[0] as { gen: number }).gen;
  }
}

/** How long a connection no collection has seen is remembered when no complete collection comes, ms. */
export const DIRECTION_RETENTION_MS = 600_000;

/**
 * Inbound and outbound as first decided, by socket (its cookie, else its inode) per network
 * namespace: a connection keeps its direction for life, though the listener that accepted it
 * closes or a listener opens on its port later. Only connections called inbound or outbound are
 * kept (listen and local are read off the socket itself). A socket not seen in a complete
 * collection is gone and forgotten; after a partial one (a collector timed out part-way) unseen
 * sockets are kept, unless no collection has seen them for {@link DIRECTION_RETENTION_MS}.
 */
export class DirectionMemory {
  private readonly spaces = new Map<number, Map<number | string, Remembered>>();
  private readonly cutoff = new UnseenCutoff(DIRECTION_RETENTION_MS);
  private gen = 0;
  private at = 0;

  /** Starts a collection taken at `at` (ms). */
  begin(at: number): void {
    this.gen++;
    this.at = at;
  }

  /** The direction `s` was given when first seen, else `decided` (remembered from now on). */
  settle(s: SocketRecord, decided: 'inbound' | 'outbound'): 'inbound' | 'outbound' {
    // the cookie as a number key; a socket without one (procfs) by minus its inode, apart from every cookie
    const id = s.cookie !== undefined ? cookieKey(s.cookie) : s.inode !== 0 ? -s.inode : undefined;
    if (id === undefined) return decided;
    const ns = s.netns ?? NO_NAMESPACE;
    let sockets = this.spaces.get(ns);
    if (sockets === undefined) this.spaces.set(ns, (sockets = new Map()));
    const r = sockets.get(id);
    if (r !== undefined && r.localPort === s.local.port && r.remotePort === s.remote.port) {
      r.gen = this.gen;
      return r.inbound ? 'inbound' : 'outbound';
    }
    sockets.set(id, { inbound: decided === 'inbound', gen: this.gen, localPort: s.local.port, remotePort: s.remote.port });
    return decided;
  }

  /** Ends the collection, `complete` or not (see {@link UnseenCutoff}). */
  end(complete: boolean): void {
    const oldest = this.cutoff.end(this.gen, this.at, complete);
    if (oldest === undefined) return;
    for (const [ns, sockets] of this.spaces) {
      for (const [id, r] of sockets) if (r.gen < oldest) sockets.delete(id);
      if (sockets.size === 0) this.spaces.delete(ns);
    }
  }

  /** Connections remembered. */
  get size(): number {
    let n = 0;
    for (const sockets of this.spaces.values()) n += sockets.size;
    return n;
  }
}

/** Most address texts an {@link AddressSpaces} memo holds before it starts again. */
export const ADDRESS_SPACE_MEMO_SIZE = 65_536;

/**
 * {@link addressSpace} memoized per address text, so a host's many sockets to the same few peers
 * (and from its few local addresses) classify with one map lookup each. Bounded: past `max`
 * distinct texts it forgets them all and starts again (a scan of random peers must not grow it
 * without bound; refilling costs one parse per address, as the first collection did).
 */
export class AddressSpaces {
  private readonly memo = new Map<string, AddressSpace>();

  constructor(private readonly max = ADDRESS_SPACE_MEMO_SIZE) {}

  /** The address space of an address as a record holds it (v4-mapped IPv6 as the IPv4 it carries). */
  of(address: string): AddressSpace {
    let space = this.memo.get(address);
    if (space === undefined) {
      if (this.memo.size >= this.max) this.memo.clear();
      space = addressSpace(address);
      this.memo.set(address, space);
    }
    return space;
  }

  /**
   * Sets `localSpace` and `remoteSpace` on an IP socket, in place. A Unix socket's addresses are
   * paths, not in any address space, so it gets neither.
   */
  set(s: SocketRecord): void {
    if (s.family === 'unix') return;
    s.localSpace = this.of(s.local.address);
    s.remoteSpace = this.of(s.remote.address);
  }

  /** Address texts remembered. */
  get size(): number {
    return this.memo.size;
  }
}

/**
 * Sets `direction` on every socket it can classify (listen, inbound, outbound, local), and the
 * address spaces of every IP socket's ends (`localSpace`, `remoteSpace`), in place.
 */
export function classifyDirections(sockets: SocketRecord[], options: DirectionOptions = {}): void {
  const book = new DirectionBook(options);
  const spaces = new AddressSpaces();
  for (const s of sockets) book.learn(s);
  for (const s of sockets) {
    const d = book.classify(s);
    if (d) s.direction = d;
    spaces.set(s);
  }
}
