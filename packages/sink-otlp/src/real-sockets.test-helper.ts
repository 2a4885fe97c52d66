// Test helper: real sockets opened on loopback, described as the SocketRecords a collector
// would report for them (state, addresses and ports as the kernel has them).
import { createSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { SocketRecord } from '@sockscope/core';

const record = (protocol: 'tcp' | 'udp', family: 'ipv4' | 'ipv6', state: SocketRecord['state'], local: [string, number], remote: [string, number]): SocketRecord => ({
  protocol,
  family,
  state,
  local: { address: local[0], port: local[1] },
  remote: { address: remote[0], port: remote[1] },
  inode: 0,
  uid: process.getuid?.() ?? 0,
  recvQueue: 0,
  sendQueue: 0,
});

const listen = (host: string) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });

/** A TCP listener with `clients` connections on 127.0.0.1, a listener on ::1 and an unconnected UDP socket. */
export async function openRealSockets(clients: number): Promise<{ records: SocketRecord[]; close(): Promise<void> }> {
  const v4 = await listen('127.0.0.1');
  const v6 = await listen('::1');
  const port = (v4.address() as { port: number }).port;
  const accepted: Socket[] = [];
  v4.on('connection', (s) => accepted.push(s));
  const conns = await Promise.all(
    Array.from({ length: clients }, () => new Promise<Socket>((resolve) => { const c = connect(port, '127.0.0.1', () => resolve(c)); })),
  );
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));

  const records: SocketRecord[] = [
    record('tcp', 'ipv4', 'LISTEN', ['127.0.0.1', port], ['0.0.0.0', 0]),
    record('tcp', 'ipv6', 'LISTEN', ['::1', (v6.address() as { port: number }).port], ['::', 0]),
    record('udp', 'ipv4', 'CLOSE', ['127.0.0.1', udp.address().port], ['0.0.0.0', 0]),
  ];
  for (const c of conns) {
    records.push(record('tcp', 'ipv4', 'ESTABLISHED', [c.localAddress ?? '', c.localPort ?? 0], ['127.0.0.1', port]));
    records.push(record('tcp', 'ipv4', 'ESTABLISHED', ['127.0.0.1', port], [c.localAddress ?? '', c.localPort ?? 0]));
  }
  return {
    records,
    async close() {
      for (const s of [...conns, ...accepted]) s.destroy();
      udp.close();
      await Promise.all([v4, v6].map((s) => new Promise((r) => s.close(r))));
    },
  };
}
