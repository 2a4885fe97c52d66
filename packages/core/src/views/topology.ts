import { isWildcardAddress, unmapAddress } from '../enrichers/direction.js';
import type { TopologyActor, TopologyLink } from './answer.js';
import type { ConnectionsSnapshot } from './connections-fold.js';
import type { TopologyGroupBy, TopologyLabel } from './query.js';
import { listenerTakes, type ConnectionRow } from './row.js';

/** Most distinct values one label of one actor holds; the actor says `labels_truncated` beyond. */
export const TOPOLOGY_LABEL_VALUES_MAX = 10;

/** The labels to attach: the row fields, and how a command line is shown (shortened or whole). */
export interface TopologyLabelsOptions {
  readonly fields: readonly TopologyLabel[];
  readonly cmdline: (cmdline: string) => string;
}

const labelValue = (r: ConnectionRow, field: TopologyLabel): string | undefined => (field === 'uid' ? String(r.uid) : r[field]);

/** The host actor's id: sockets of no known process (or container, grouped by container). */
export const HOST_ACTOR_ID = 'host';

interface Built {
  actors: TopologyActor[];
  links: TopologyLink[];
  truncated: boolean;
}

/**
 * Builds the topology of the matched rows: an actor per process (or pid, or container), the
 * host for sockets of none, an endpoint per remote address that is not this host's; a link per
 * (client actor, server actor, protocol, state). A local connection's peer is resolved to its
 * owning socket (the one whose endpoints are this socket's, swapped, in the same namespace), else
 * to the listener of its port, so two local processes talking over loopback make one link; the
 * client side counts it, the server side only when its client is not among the matched rows.
 * The peer index covers every row of the collection, matched or not. At most `limit` links, most
 * sockets first; endpoints no kept link names are left out.
 */
export function buildTopology(snapshot: ConnectionsSnapshot, matched: readonly ConnectionRow[], groupBy: TopologyGroupBy, limit: number, labels?: TopologyLabelsOptions): Built {
  const actors = new Map<string, TopologyActor>();
  const host: TopologyActor = { id: HOST_ACTOR_ID, kind: 'host', label: snapshot.hostname || 'this host', sockets: 0 };
  actors.set(host.id, host);

  const actorOf = (r: ConnectionRow): TopologyActor => {
    let id: string;
    let make: () => TopologyActor;
    if (groupBy === 'container') {
      if (r.container === undefined) return host;
      const name = r.container;
      id = `container:${r.containerId ?? name}`;
      make = () => ({ id, kind: 'container', label: name, container: name, sockets: 0 });
    } else if (groupBy === 'pid') {
      if (r.pid === undefined) return host;
      const { pid, process } = r;
      id = `pid:${pid}`;
      make = () => (process === undefined ? { id, kind: 'process', label: `[${pid}]`, pid, sockets: 0 } : { id, kind: 'process', label: `${process}[${pid}]`, pid, process, sockets: 0 });
    } else {
      if (r.process === undefined) return host;
      const process = r.process;
      id = `process:${process}`;
      make = () => ({ id, kind: 'process', label: process, process, sockets: 0 });
    }
    let a = actors.get(id);
    if (a === undefined) actors.set(id, (a = make()));
    return a;
  };
  const endpoints = new Map<string, TopologyActor>();
  const endpointOf = (r: ConnectionRow): TopologyActor => {
    const address = unmapAddress(r.remoteIp);
    const id = `endpoint:${address}`;
    let a = endpoints.get(id);
    if (a === undefined) endpoints.set(id, (a = { id, kind: 'endpoint', label: address, address, space: r.remoteSpace, sockets: 0 }));
    return a;
  };

  // every socket of the collection by its endpoints, and every listener by port, per namespace
  let sockets: Map<string, ConnectionRow> | undefined;
  let listeners: Map<string, ConnectionRow[]> | undefined;
  const index = () => {
    sockets = new Map();
    listeners = new Map();
    for (const r of snapshot.rows) {
      if (r.direction === 'listen') {
        const k = `${r.netnsInode}|${r.transport}|${r.localPort}`;
        const list = listeners.get(k);
        if (list) list.push(r);
        else listeners.set(k, [r]);
      } else sockets.set(`${r.netnsInode}|${r.transport}|${unmapAddress(r.localIp)}|${r.localPort}|${unmapAddress(r.remoteIp)}|${r.remotePort}`, r);
    }
  };
  const peerOf = (r: ConnectionRow): ConnectionRow | undefined => {
    if (sockets === undefined) index();
    return sockets?.get(`${r.netnsInode}|${r.transport}|${unmapAddress(r.remoteIp)}|${r.remotePort}|${unmapAddress(r.localIp)}|${r.localPort}`);
  };
  const listenerOf = (r: ConnectionRow): ConnectionRow | undefined => {
    if (listeners === undefined) index();
    const remote = unmapAddress(r.remoteIp);
    return listeners?.get(`${r.netnsInode}|${r.transport}|${r.remotePort}`)?.find((l) => listenerTakes(l, remote));
  };
  let matchedSet: Set<ConnectionRow> | undefined;

  const links = new Map<string, TopologyLink>();
  const link = (source: TopologyActor, target: TopologyActor, r: ConnectionRow): void => {
    const key = `${source.id}\u0001${target.id}\u0001${r.protocol}\u0001${r.state}`;
    let l = links.get(key);
    if (l === undefined) links.set(key, (l = { source: source.id, target: target.id, protocol: r.protocol, state: r.state, sockets: 0, retransmits: 0 }));
    l.sockets++;
    l.retransmits += r.totalRetransmits ?? 0;
    if (r.rttUs !== undefined && (l.max_rtt_ms === undefined || r.rttUs / 1000 > l.max_rtt_ms)) l.max_rtt_ms = r.rttUs / 1000;
  };

  // per process or container actor, per label field, the distinct values of its matched rows
  const labelSets = new Map<TopologyActor, Map<TopologyLabel, Set<string>>>();
  const fields = labels?.fields ?? [];
  for (const r of matched) {
    const own = actorOf(r);
    own.sockets++;
    if (fields.length > 0 && own !== host) {
      let sets = labelSets.get(own);
      if (sets === undefined) labelSets.set(own, (sets = new Map(fields.map((f) => [f, new Set<string>()]))));
      for (const f of fields) {
        const v = labelValue(r, f);
        if (v !== undefined) sets.get(f)?.add(f === 'cmdline' && labels ? labels.cmdline(v) : v);
      }
    }
    const d = r.direction;
    if (d === 'listen' || d === '' || (r.remotePort === 0 && isWildcardAddress(r.remoteIp))) continue;
    if (d === 'outbound') link(own, endpointOf(r), r);
    else if (d === 'inbound') link(endpointOf(r), own, r);
    else if (d === 'local-outbound') {
      const server = peerOf(r) ?? listenerOf(r);
      link(own, server ? actorOf(server) : endpointOf(r), r);
    } else {
      const client = peerOf(r);
      if (client !== undefined && client.direction === 'local-outbound') {
        matchedSet ??= new Set(matched);
        if (matchedSet.has(client)) continue; // the client's row makes the link
      }
      link(client ? actorOf(client) : endpointOf(r), own, r);
    }
  }

  const all = [...links.values()].sort((a, b) => b.sockets - a.sockets || (a.source < b.source ? -1 : a.source > b.source ? 1 : a.target < b.target ? -1 : 1));
  const kept = all.slice(0, limit);
  const named = new Set<string>();
  for (const l of kept) {
    named.add(l.source);
    named.add(l.target);
  }
  for (const l of kept) {
    const e = endpoints.get(l.source) ?? endpoints.get(l.target);
    if (e) e.sockets += l.sockets;
  }
  if (fields.length > 0) {
    for (const a of actors.values()) {
      if (a === host) continue;
      const sets = labelSets.get(a);
      const out: Record<string, string[]> = {};
      for (const f of fields) {
        const all = [...(sets?.get(f) ?? [])].sort();
        if (all.length > TOPOLOGY_LABEL_VALUES_MAX) a.labels_truncated = true;
        out[f] = all.slice(0, TOPOLOGY_LABEL_VALUES_MAX);
      }
      a.labels = out;
    }
  }
  const bySockets = (a: TopologyActor, b: TopologyActor) => b.sockets - a.sockets || (a.id < b.id ? -1 : 1);
  const own = [...actors.values()].filter((a) => a !== host).sort(bySockets);
  const ends = [...endpoints.values()].filter((a) => named.has(a.id)).sort(bySockets);
  return { actors: [host, ...own, ...ends], links: kept, truncated: all.length > kept.length };
}
