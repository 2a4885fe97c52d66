import type { AddressSpace } from '../net/address-space.js';

/** Direction of a connection as the connections views show it (netdata's five, `''` when unknown). */
export type ConnectionDirection = 'listen' | 'inbound' | 'outbound' | 'local-inbound' | 'local-outbound' | '';

/** Every {@link ConnectionDirection}, in display order. */
export const CONNECTION_DIRECTIONS: readonly ConnectionDirection[] = ['listen', 'inbound', 'outbound', 'local-inbound', 'local-outbound', ''];

/** Protocol and IP version of a socket; `tcp46`/`udp46` is a dual-stack socket (IPv6 on `::`, not v6only). */
export type ConnectionProtocol = 'tcp4' | 'tcp6' | 'tcp46' | 'udp4' | 'udp6' | 'udp46';

/** Every {@link ConnectionProtocol}. */
export const CONNECTION_PROTOCOLS: readonly ConnectionProtocol[] = ['tcp4', 'tcp6', 'tcp46', 'udp4', 'udp6', 'udp46'];

/**
 * One socket of a collection as the connections fold keeps it: what the views show and nothing
 * else, strings shared with the records (the process enricher hands every socket of a process
 * the same strings) and tcp_info in integer microseconds, so most fields are small integers.
 * `undefined` means not known; fields are never added or removed after construction (one shape).
 */
export class ConnectionRow {
  direction: ConnectionDirection = '';
  protocol: ConnectionProtocol = 'tcp4';
  /** `tcp` or `udp`: for the listener and peer look-ups. */
  transport: 'tcp' | 'udp' = 'tcp';
  state = '';
  /** `netnsName` ?? inode as text ?? `system`. */
  netns = 'system';
  /** Network namespace inode, -1 for the collector's own. */
  netnsInode = -1;
  pid: number | undefined = undefined;
  process: string | undefined = undefined;
  /** The full command line (shortened when answered). */
  cmdline: string | undefined = undefined;
  uid = 0;
  user: string | undefined = undefined;
  /** Container name ?? 12-char id. */
  container: string | undefined = undefined;
  /** Full container id (for the `container` filter). */
  containerId: string | undefined = undefined;
  pod: string | undefined = undefined;
  podUid: string | undefined = undefined;
  namespace: string | undefined = undefined;
  image: string | undefined = undefined;
  unit: string | undefined = undefined;
  localIp = '';
  localPort = 0;
  localSpace: AddressSpace = 'unspecified';
  remoteIp = '';
  remotePort = 0;
  remoteSpace: AddressSpace = 'unspecified';
  serverPort = 0;
  portName: string | undefined = undefined;
  rttUs: number | undefined = undefined;
  rttvarUs: number | undefined = undefined;
  minRttUs: number | undefined = undefined;
  rcvRttUs: number | undefined = undefined;
  cwnd: number | undefined = undefined;
  ssthresh: number | undefined = undefined;
  mss: number | undefined = undefined;
  rtoUs: number | undefined = undefined;
  deliveryRate: number | undefined = undefined;
  retransmits: number | undefined = undefined;
  totalRetransmits: number | undefined = undefined;
  lost: number | undefined = undefined;
  unacked: number | undefined = undefined;
  sacked: number | undefined = undefined;
  bytesAcked: number | undefined = undefined;
  bytesReceived: number | undefined = undefined;
  recvQueue = 0;
  sendQueue = 0;
  inode = 0;
  cookie: bigint | undefined = undefined;
  /**
   * When this fold first saw the socket, ms since the epoch (the collection's timestamp); `age_seconds`
   * is the answer's collection timestamp minus this ({@link rowAgeSeconds}), so a row an unchanged
   * socket keeps across collections stays true for each of them. -1 when the socket has no id (no
   * cookie, no inode).
   */
  firstSeen = -1;
  /** The aggregated view's key of the row, made at its first aggregation (a row kept across collections makes it once). */
  aggregateKey: string | undefined = undefined;
}

/** Seconds since the fold first saw the row's socket, at a collection taken at `timestamp` (ms); undefined when that collection is the first to see it. */
export function rowAgeSeconds(row: ConnectionRow, timestamp: number): number | undefined {
  return row.firstSeen >= 0 && row.firstSeen < timestamp ? Math.round((timestamp - row.firstSeen) / 100) / 10 : undefined;
}

/** True for the directions whose server is the local side (listen, inbound, local-inbound). */
export function serverIsLocal(d: ConnectionDirection): boolean {
  return d === 'listen' || d === 'inbound' || d === 'local-inbound';
}

/**
 * True when the listening row takes connections to the local address `local` (v4-mapped
 * already unmapped): `0.0.0.0` takes IPv4, a dual-stack `::` (`tcp46`/`udp46`) takes every
 * address, a v6only `::` IPv6 only, any other address itself.
 */
export function listenerTakes(listener: ConnectionRow, local: string): boolean {
  const a = listener.localIp;
  if (a === '0.0.0.0') return !local.includes(':');
  if (a === '::') return listener.protocol.endsWith('46') || local.includes(':');
  return a === local || a === `::ffff:${local}`;
}
