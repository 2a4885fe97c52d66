import { defineEnricher } from '../contracts/enricher.js';
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

/** Options of the direction enricher (none yet). */
export type DirectionEnricherConfig = Record<string, never>;

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

/** Sets `direction` on every socket it can classify (listen, inbound, outbound, local), in place. */
export function classifyDirections(sockets: SocketRecord[]): void {
  const listeners = new Map<string, Listener[]>();
  const localAddresses = new Set<string>();
  const ns = (s: SocketRecord) => s.netns ?? NO_NAMESPACE;

  for (const s of sockets) {
    if (s.family === 'unix') continue;
    const local = unmapAddress(s.local.address);
    if (!isWildcardAddress(local)) localAddresses.add(`${ns(s)}|${local}`);
    if (isListening(s)) {
      const key = `${ns(s)}|${s.protocol}|${s.local.port}`;
      const list = listeners.get(key) ?? [];
      list.push({ address: local, v6only: s.v6only === true });
      listeners.set(key, list);
    }
  }

  for (const s of sockets) {
    const d = classify(s);
    if (d) s.direction = d;
  }

  function classify(s: SocketRecord): Direction | undefined {
    if (s.family === 'unix') return s.state === 'LISTEN' ? 'listen' : 'local';
    if (isListening(s)) return 'listen';
    if (!isConnected(s)) return undefined;
    const local = unmapAddress(s.local.address);
    const remote = unmapAddress(s.remote.address);
    if (isLoopbackAddress(remote) || isLoopbackAddress(local) || localAddresses.has(`${ns(s)}|${remote}`)) return 'local';
    const candidates = listeners.get(`${ns(s)}|${s.protocol}|${s.local.port}`);
    if (candidates?.some((l) => acceptsLocal(l, local))) return 'inbound';
    return 'outbound';
  }
}

/**
 * Classifies each socket as listen, inbound (its local port is a listening port in its network
 * namespace), outbound, or local (its peer is this host), as netdata's network viewer does.
 */
export const directionEnricher = defineEnricher<DirectionEnricherConfig>({
  name: 'direction',
  description: 'Direction of each socket: listen, inbound, outbound or local (peer on this host)',
  platforms: ['any'],
  defaultEnabled: true,
  after: ['process', 'container'],
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  create() {
    return {
      async enrich(sockets: SocketRecord[]) {
        classifyDirections(sockets);
        return {};
      },
      async close() {
        // stateless
      },
    };
  },
});
