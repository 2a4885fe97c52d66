import type { Direction, SocketRecord } from '../types/socket.js';

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

const NO_NAMESPACE = -1;

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

/**
 * What decides directions within one collection: the listening sockets and the local
 * addresses of each network namespace, learnt socket by socket.
 */
export class DirectionBook {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly localAddresses = new Set<string>();

  /** Takes note of a socket's local address and, for a listening socket, its port. */
  learn(s: SocketRecord): void {
    if (s.family === 'unix') return;
    const local = unmapAddress(s.local.address);
    const ns = s.netns ?? NO_NAMESPACE;
    if (!isWildcardAddress(local)) this.localAddresses.add(`${ns}|${local}`);
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
    if (isLoopbackAddress(remote) || isLoopbackAddress(local) || this.localAddresses.has(`${ns}|${remote}`)) return 'local';
    const candidates = this.listeners.get(`${ns}|${s.protocol}|${s.local.port}`);
    if (candidates?.some((l) => acceptsLocal(l, local))) return 'inbound';
    return 'outbound';
  }
}

/** Sets `direction` on every socket it can classify (listen, inbound, outbound, local), in place. */
export function classifyDirections(sockets: SocketRecord[]): void {
  const book = new DirectionBook();
  for (const s of sockets) book.learn(s);
  for (const s of sockets) {
    const d = book.classify(s);
    if (d) s.direction = d;
  }
}
