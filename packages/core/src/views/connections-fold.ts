import type { Fold } from '../contracts/fold.js';
import {
  DEFAULT_EPHEMERAL_PORTS,
  inboundByPorts,
  isListening,
  isLoopbackAddress,
  isWildcardAddress,
  portRangeProblems,
  UnseenCutoff,
  unmapAddress,
  type PortRange,
} from '../enrichers/direction.js';
import { SockscopeError } from '../errors.js';
import { addressSpace } from '../net/address-space.js';
import type { CollectorStatus } from '../types/snapshot.js';
import type { SocketRecord } from '../types/socket.js';
import { ConnectionRow, type ConnectionDirection, type ConnectionProtocol } from './row.js';
import { cookieKey } from '../util/cookie-key.js';

/** What the caller injects into the connections fold (core reads no files). */
export interface ConnectionsFoldOptions {
  /** The user name of a uid (the agent passes an `/etc/passwd` look-up); default none. */
  userName?(uid: number): string | undefined;
  /** The service name of a port (the agent passes `portName(parseServices(/etc/services), …)`); default none. */
  portName?(port: number, protocol: 'tcp' | 'udp'): string | undefined;
  /** Longest command line answered unless the query asks for it in full, characters; default 128. */
  cmdlineMax?: number;
  /** The host's ephemeral ports, for a connection no listener accounts for; default 32768-60999. */
  ephemeralPorts?: PortRange;
  /** An unseen socket's first sighting (for `age_seconds`) is forgotten after this long without a complete collection, ms; default 10 min. */
  retentionMs?: number;
}

/** How a collection went, as the answer states it. */
export interface ConnectionsCollection {
  /** Wall time of the collection, seconds. */
  readonly durationSeconds: number;
  /** True when every collector that may read sockets finished (the fold's `end(complete)`). */
  readonly complete: boolean;
  /** Each collector's (and enricher's) outcome. */
  readonly collectors: readonly { readonly name: string; readonly success: boolean; readonly error?: string }[];
}

/** What the connections fold made of one collection: one row per TCP/UDP socket and the facts the answer states. */
export interface ConnectionsSnapshot {
  /** When the collection was taken, ms since the epoch. */
  readonly timestamp: number;
  /** Host name (set by the caller with {@link withCollectionFacts}; `''` until then). */
  readonly hostname: string;
  /** Every TCP and UDP socket of the collection (listeners first, as they came). */
  readonly rows: readonly ConnectionRow[];
  /** Sockets of other protocols (unix, raw) the fold saw and left out of the rows. */
  readonly skipped: number;
  /** Longest command line answered unless the query asks for it in full. */
  readonly cmdlineMax: number;
  /** How the collection went (`durationSeconds` 0 and no collectors until {@link withCollectionFacts}). */
  readonly collection: ConnectionsCollection;
}

/** The facts of a collection only its caller knows. */
export interface ConnectionsCollectionFacts {
  hostname?: string;
  durationSeconds?: number;
  status?: readonly Pick<CollectorStatus, 'name' | 'success' | 'error'>[];
}

/** The snapshot with the caller's facts (host name, duration, collector status) added. */
export function withCollectionFacts(snapshot: ConnectionsSnapshot, facts: ConnectionsCollectionFacts): ConnectionsSnapshot {
  return {
    ...snapshot,
    hostname: facts.hostname ?? snapshot.hostname,
    collection: {
      complete: snapshot.collection.complete,
      durationSeconds: facts.durationSeconds ?? snapshot.collection.durationSeconds,
      collectors: facts.status
        ? facts.status.map((s) => (s.error === undefined ? { name: s.name, success: s.success } : { name: s.name, success: s.success, error: s.error }))
        : snapshot.collection.collectors,
    },
  };
}

interface Listener {
  address: string;
  v6only: boolean;
}

interface Sighting {
  first: number;
  gen: number;
  localPort: number;
  remotePort: number;
  /** The row the socket had at its last collection: answered again while nothing it shows changed. */
  row: ConnectionRow | undefined;
}

/** `tcp4`… by transport and IP version (dual-stack `46`), without making a string per socket. */
const PROTOCOLS: Record<'tcp' | 'udp', readonly [ConnectionProtocol, ConnectionProtocol, ConnectionProtocol]> = {
  tcp: ['tcp4', 'tcp6', 'tcp46'],
  udp: ['udp4', 'udp6', 'udp46'],
};

/**
 * A socket's key among the sightings of its namespace: its cookie as a number (a Map hashes a
 * number far faster than a bigint), as text above 2^53, else minus its inode; undefined without either.
 */
function socketKey(s: SocketRecord): number | string | undefined {
  const c = s.cookie;
  if (c !== undefined) return cookieKey(c);
  return s.inode !== 0 ? -s.inode : undefined;
}

const big = (v: bigint | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** True when the row shows exactly what the record would (the derived fields the caller checked: direction, protocol, netns). */
function sameRow(r: ConnectionRow, s: SocketRecord): boolean {
  if (r.state !== s.state || r.uid !== s.uid || r.recvQueue !== s.recvQueue || r.sendQueue !== s.sendQueue || r.inode !== s.inode || r.cookie !== s.cookie) return false;
  if (r.localIp !== s.local.address || r.localPort !== s.local.port || r.remoteIp !== s.remote.address || r.remotePort !== s.remote.port) return false;
  if (s.localSpace !== undefined && s.localSpace !== r.localSpace) return false;
  if (s.remoteSpace !== undefined && s.remoteSpace !== r.remoteSpace) return false;
  const p = s.process;
  if (p ? r.pid !== p.pid || r.process !== p.comm || r.cmdline !== p.cmdline : r.pid !== undefined || r.process !== undefined || r.cmdline !== undefined) return false;
  const c = s.container;
  if (c) {
    if (r.containerId !== c.id || r.pod !== c.pod || r.podUid !== c.podUid || r.namespace !== c.namespace || r.image !== c.image) return false;
    if (r.unit !== (c.unitName ?? c.systemdUnit)) return false;
    if (c.name !== undefined ? r.container !== c.name : c.id === undefined ? r.container !== undefined : r.container !== c.id.slice(0, 12)) return false;
  } else if (r.containerId !== undefined || r.container !== undefined || r.pod !== undefined || r.podUid !== undefined || r.namespace !== undefined || r.image !== undefined || r.unit !== undefined) {
    return false;
  }
  const t = s.tcp;
  if (!t) {
    return r.rttUs === undefined && r.cwnd === undefined && r.retransmits === undefined && r.totalRetransmits === undefined && r.bytesAcked === undefined && r.rtoUs === undefined &&
      r.rttvarUs === undefined && r.minRttUs === undefined && r.rcvRttUs === undefined && r.ssthresh === undefined && r.mss === undefined && r.deliveryRate === undefined &&
      r.lost === undefined && r.unacked === undefined && r.sacked === undefined && r.bytesReceived === undefined;
  }
  return (
    r.rttUs === t.rttUs && r.rttvarUs === t.rttvarUs && r.minRttUs === t.minRttUs && r.rcvRttUs === t.rcvRttUs && r.cwnd === t.sndCwnd && r.ssthresh === t.sndSsthresh &&
    r.mss === t.sndMss && r.rtoUs === t.rtoUs && r.retransmits === t.retransmits && r.totalRetransmits === t.totalRetrans && r.lost === t.lost && r.unacked === t.unacked &&
    r.sacked === t.sacked && r.deliveryRate === big(t.deliveryRate) && r.bytesAcked === big(t.bytesAcked) && r.bytesReceived === big(t.bytesReceived)
  );
}

const NO_NAMESPACE = -1;

/** True when a listener bound to `l` takes connections to the local address `local` (unmapped). */
function accepts(l: Listener, local: string): boolean {
  if (l.address === '0.0.0.0') return !local.includes(':');
  if (l.address === '::') return !(l.v6only && !local.includes(':'));
  return l.address === local;
}

/**
 * Creates the connections fold: one {@link ConnectionRow} per TCP and UDP socket of a
 * collection, for the live connections views (`queryConnections`). Rows are made as records
 * pass and the records are not kept. Directions come from the direction enricher; its `local`
 * is split into `local-inbound` (a listener of the namespace takes the local port, else the
 * local port is not ephemeral and the peer's is) and `local-outbound`, which is why listeners
 * must come first (the Fold contract). A record with no direction (no direction enricher) is
 * classified the same way the metric fold does: listener, then listening port, then ephemeral
 * ports. The only state kept across collections is when each socket was first seen (`age_seconds`).
 */
export function createConnectionsFold(options: ConnectionsFoldOptions = {}): Fold<ConnectionsSnapshot> {
  const cmdlineMax = options.cmdlineMax ?? 128;
  if (!Number.isInteger(cmdlineMax) || cmdlineMax < 8) {
    throw new SockscopeError('ERR_CONFIG_INVALID', `connections fold: cmdlineMax: must be a whole number of at least 8 characters, not ${JSON.stringify(cmdlineMax)}`);
  }
  const ephemeral = options.ephemeralPorts ?? DEFAULT_EPHEMERAL_PORTS;
  const problems = portRangeProblems(ephemeral, 'ephemeralPorts');
  if (problems.length > 0) throw new SockscopeError('ERR_CONFIG_INVALID', `connections fold: ${problems.join('; ')}`);
  const userNames = new Map<number, string | undefined>();
  const portNames = new Map<number, string | undefined>();
  const netnsText = new Map<number, string>();
  const shortIds = new Map<string, string>();
  const seen = new Map<number, Map<number | string, Sighting>>();
  const cutoff = new UnseenCutoff(options.retentionMs ?? 600_000);
  const listeners = new Map<string, Listener[]>();
  let rows: ConnectionRow[] = [];
  let skipped = 0;
  let open = false;
  let gen = 0;
  let at = 0;

  const userOf = (uid: number): string | undefined => {
    if (!options.userName) return undefined;
    if (userNames.has(uid)) return userNames.get(uid);
    const name = options.userName(uid);
    userNames.set(uid, name);
    return name;
  };
  const portNameOf = (port: number, transport: 'tcp' | 'udp'): string | undefined => {
    if (!options.portName) return undefined;
    const key = transport === 'tcp' ? port : port + 65536;
    if (portNames.has(key)) return portNames.get(key);
    const name = options.portName(port, transport);
    portNames.set(key, name);
    return name;
  };
  const netnsOf = (s: SocketRecord): string => {
    if (s.netnsName !== undefined) return s.netnsName;
    if (s.netns === undefined) return 'system';
    let t = netnsText.get(s.netns);
    if (t === undefined) netnsText.set(s.netns, (t = String(s.netns)));
    return t;
  };
  const shortIdOf = (id: string): string => {
    let t = shortIds.get(id);
    if (t === undefined) shortIds.set(id, (t = id.slice(0, 12)));
    return t;
  };
  const listenKey = (ns: number, transport: string, port: number): string => `${ns}|${transport}|${port}`;

  /** True when the connection's local side is its server: a listener takes its local port, else ports say so. */
  const locallyServed = (s: SocketRecord, ns: number, transport: string): boolean => {
    const list = listeners.get(listenKey(ns, transport, s.local.port));
    if (list !== undefined) {
      const local = unmapAddress(s.local.address);
      if (list.some((l) => accepts(l, local))) return true;
    }
    return inboundByPorts(s, ephemeral);
  };

  const directionOf = (s: SocketRecord, ns: number, transport: string, listening: boolean): ConnectionDirection => {
    const d = s.direction;
    if (d === 'listen' || d === 'inbound' || d === 'outbound') return d;
    if (d === 'local') return locallyServed(s, ns, transport) ? 'local-inbound' : 'local-outbound';
    // no direction enricher ran: the metric fold's fallback
    if (listening) return 'listen';
    if (s.remote.port === 0 && isWildcardAddress(s.remote.address)) return '';
    const local = isLoopbackAddress(s.remote.address) || isLoopbackAddress(s.local.address);
    const served = locallyServed(s, ns, transport);
    if (local) return served ? 'local-inbound' : 'local-outbound';
    return served ? 'inbound' : 'outbound';
  };

  /** The socket's sighting (made at its first), undefined for a socket with no id. */
  const sightingOf = (s: SocketRecord, ns: number): Sighting | undefined => {
    const id = socketKey(s);
    if (id === undefined) return undefined;
    let sockets = seen.get(ns);
    if (sockets === undefined) seen.set(ns, (sockets = new Map()));
    const r = sockets.get(id);
    if (r !== undefined && r.localPort === s.local.port && r.remotePort === s.remote.port) {
      r.gen = gen;
      return r;
    }
    const fresh: Sighting = { first: at, gen, localPort: s.local.port, remotePort: s.remote.port, row: undefined };
    sockets.set(id, fresh);
    return fresh;
  };

  return {
    begin(timestamp) {
      gen++;
      open = true;
      at = timestamp;
      rows = [];
      skipped = 0;
      listeners.clear();
    },

    add(s) {
      if (!open) throw new Error('connections fold: add() outside begin()/end()');
      // a closed socket (a destroy event, issue 18) is not a live connection: not a row, not skipped
      if (s.closedAt !== undefined) return;
      if ((s.protocol !== 'tcp' && s.protocol !== 'udp') || s.family === 'unix') {
        skipped++;
        return;
      }
      const transport = s.protocol;
      const ns = s.netns ?? NO_NAMESPACE;
      const listening = isListening(s);
      if (listening) {
        const key = listenKey(ns, transport, s.local.port);
        const list = listeners.get(key);
        const l = { address: unmapAddress(s.local.address), v6only: s.v6only === true };
        if (list) list.push(l);
        else listeners.set(key, [l]);
      }
      const v6 = s.family === 'ipv6';
      const dual = v6 && listening && s.local.address === '::' && s.v6only !== true;
      const protocol = PROTOCOLS[transport][dual ? 2 : v6 ? 1 : 0];
      const direction = directionOf(s, ns, transport, listening);
      const netns = netnsOf(s);
      const sighting = sightingOf(s, ns);
      const kept = sighting?.row;
      // an unchanged socket answers with the row it had (rows are never changed once made: an
      // earlier snapshot still being answered stays true), so 60k idle sockets make no garbage
      if (kept !== undefined && kept.protocol === protocol && kept.direction === direction && kept.netns === netns && kept.netnsInode === ns && sameRow(kept, s)) {
        rows.push(kept);
        return;
      }
      const r = new ConnectionRow();
      r.transport = transport;
      r.protocol = protocol;
      r.direction = direction;
      r.state = s.state;
      r.netns = netns;
      r.netnsInode = ns;
      const p = s.process;
      if (p) {
        r.pid = p.pid;
        r.process = p.comm;
        r.cmdline = p.cmdline;
      }
      r.uid = s.uid;
      r.user = userOf(s.uid);
      const c = s.container;
      if (c) {
        r.containerId = c.id;
        r.container = c.name ?? (c.id === undefined ? undefined : shortIdOf(c.id));
        r.pod = c.pod;
        r.podUid = c.podUid;
        r.namespace = c.namespace;
        r.image = c.image;
        r.unit = c.unitName ?? c.systemdUnit;
      }
      r.localIp = s.local.address;
      r.localPort = s.local.port;
      r.localSpace = s.localSpace ?? addressSpace(s.local.address);
      r.remoteIp = s.remote.address;
      r.remotePort = s.remote.port;
      r.remoteSpace = s.remoteSpace ?? addressSpace(s.remote.address);
      const d = r.direction;
      r.serverPort = d === 'outbound' || d === 'local-outbound' ? s.remote.port : s.local.port;
      if (r.serverPort !== 0) r.portName = portNameOf(r.serverPort, transport);
      const t = s.tcp;
      if (t) {
        r.rttUs = t.rttUs;
        r.rttvarUs = t.rttvarUs;
        r.minRttUs = t.minRttUs;
        r.rcvRttUs = t.rcvRttUs;
        r.cwnd = t.sndCwnd;
        r.ssthresh = t.sndSsthresh;
        r.mss = t.sndMss;
        r.rtoUs = t.rtoUs;
        r.deliveryRate = big(t.deliveryRate);
        r.retransmits = t.retransmits;
        r.totalRetransmits = t.totalRetrans;
        r.lost = t.lost;
        r.unacked = t.unacked;
        r.sacked = t.sacked;
        r.bytesAcked = big(t.bytesAcked);
        r.bytesReceived = big(t.bytesReceived);
      }
      r.recvQueue = s.recvQueue;
      r.sendQueue = s.sendQueue;
      r.inode = s.inode;
      r.cookie = s.cookie;
      if (sighting !== undefined) {
        r.firstSeen = sighting.first;
        sighting.row = r;
      }
      rows.push(r);
    },

    end(complete) {
      if (!open) throw new Error('connections fold: end() without begin()');
      open = false;
      const oldest = cutoff.end(gen, at, complete !== false);
      if (oldest !== undefined) {
        for (const [ns, sockets] of seen) {
          for (const [id, r] of sockets) if (r.gen < oldest) sockets.delete(id);
          if (sockets.size === 0) seen.delete(ns);
        }
      }
      listeners.clear();
      if (shortIds.size > 10_000) shortIds.clear();
      const out: ConnectionsSnapshot = {
        timestamp: at,
        hostname: '',
        rows,
        skipped,
        cmdlineMax,
        collection: { durationSeconds: 0, complete: complete !== false, collectors: [] },
      };
      rows = [];
      return out;
    },
  };
}
