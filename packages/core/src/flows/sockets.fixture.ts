// Synthetic socket records for core's tests: core cannot read /proc, so its tests build the
// records a collector would return. Not exported from the package.
import type { SocketRecord, TcpInfo } from '../types/socket.js';

/** An established TCP socket with sensible tcp_info; override any field. */
export function tcpSocket(over: Partial<SocketRecord> & { tcp?: Partial<TcpInfo> } = {}): SocketRecord {
  const { tcp, ...rest } = over;
  return {
    protocol: 'tcp',
    family: 'ipv4',
    state: 'ESTABLISHED',
    local: { address: '10.0.0.1', port: 40000 },
    remote: { address: '10.0.0.2', port: 443 },
    inode: 1000,
    uid: 0,
    recvQueue: 0,
    sendQueue: 0,
    ...rest,
    tcp: {
      rttUs: 1000,
      minRttUs: 500,
      sndCwnd: 10,
      deliveryRate: 1000n,
      totalRetrans: 0,
      bytesAcked: 100n,
      bytesReceived: 200n,
      bytesSent: 100n,
      bytesRetrans: 0n,
      dataSegsIn: 2,
      dataSegsOut: 1,
      ...tcp,
    },
  };
}

/** A TCP listener on a port. */
export function listener(port: number, over: Partial<SocketRecord> = {}): SocketRecord {
  return {
    protocol: 'tcp',
    family: 'ipv4',
    state: 'LISTEN',
    local: { address: '0.0.0.0', port },
    remote: { address: '0.0.0.0', port: 0 },
    inode: 5000 + port,
    uid: 0,
    recvQueue: 0,
    sendQueue: 128,
    ...over,
  };
}

/** When a test's collection was taken, ms since the epoch. */
export const T0 = 1_700_000_000_000;

/** One collection's records and when it was taken: what a test feeds `foldRecords`. */
export interface RecordedCollection {
  timestamp: number;
  sockets: readonly SocketRecord[];
}

/** A collection of these sockets taken at `timestamp`. */
export function collectionOf(sockets: readonly SocketRecord[], timestamp = T0): RecordedCollection {
  return { timestamp, sockets };
}

/** Mulberry32: a small seeded PRNG so property tests are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random flows: random v4/v6 peers, ports, processes, states, with or without cookies. */
export function randomSockets(rand: () => number, n: number): SocketRecord[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const comms = ['nginx', 'postgres', 'curl', 'node', 'java'];
  const out: SocketRecord[] = [];
  for (let i = 0; i < n; i++) {
    const v6 = rand() < 0.3;
    const pid = 100 + Math.floor(rand() * 8);
    out.push(
      tcpSocket({
        family: v6 ? 'ipv6' : 'ipv4',
        state: pick(['ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1'] as const),
        local: { address: v6 ? '2001:db8::1' : '10.0.0.1', port: pick([80, 443, 5432, 30000 + Math.floor(rand() * 30000)]) },
        remote: { address: v6 ? `2001:db8::${(1 + Math.floor(rand() * 50)).toString(16)}` : `10.1.${Math.floor(rand() * 4)}.${Math.floor(rand() * 60)}`, port: pick([443, 5432, 40000 + Math.floor(rand() * 20000)]) },
        inode: 10000 + i,
        cookie: rand() < 0.5 ? BigInt(1 + i) : undefined,
        process: rand() < 0.9 ? { pid, comm: comms[pid % comms.length] as string, cmdline: `/usr/bin/${comms[pid % comms.length]} --id ${pid}` } : undefined,
        container: rand() < 0.5 ? { id: `${'c'.repeat(60)}${pid % 3}`.padEnd(64, '0'), podUid: `pod-${pid % 2}` } : undefined,
        tcp: { rttUs: Math.floor(rand() * 200_000), totalRetrans: Math.floor(rand() * 5), dataSegsOut: Math.floor(rand() * 1000) },
      }),
    );
  }
  return out;
}
