// Opens real loopback sockets from the test process and tells which kernel inode each one has.
import { readdirSync, readlinkSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';

/** Inode of the socket behind a file descriptor of this process, read from /proc/self/fd. */
export function fdInode(fd: number): number {
  const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  if (!m?.[1]) throw new Error(`fd ${fd} is not a socket`);
  return Number(m[1]);
}

/** Every socket inode this process holds. */
export function ownSocketInodes(): Set<number> {
  const out = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) out.add(Number(m[1]));
    } catch {
      // the fd readdir itself used is gone by now
    }
  }
  return out;
}

/** The fd of a net.Server or net.Socket (Node keeps it on the libuv handle). */
export function handleFd(s: net.Server | net.Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no fd on this handle');
  return fd;
}

/** A TCP listener plus one connection to it, with the accepted side. */
export interface TcpPair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
  port: number;
  close(): Promise<void>;
}

/** Listens on `host` (port chosen by the kernel) and connects to it. */
export async function tcpPair(host: string): Promise<TcpPair> {
  const server = net.createServer();
  const acceptedP = new Promise<net.Socket>((ok) => server.once('connection', ok));
  await new Promise<void>((ok) => server.listen({ host, port: 0, ipv6Only: host.includes(':') && host !== '::' }, ok));
  const port = (server.address() as net.AddressInfo).port;
  const client = await new Promise<net.Socket>((ok, ko) => {
    const c = net.connect({ host: host === '::' ? '127.0.0.1' : host, port }, () => ok(c));
    c.once('error', ko);
  });
  const accepted = await acceptedP;
  return {
    server,
    client,
    accepted,
    port,
    close: async () => {
      client.destroy();
      accepted.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** A bound, unconnected UDP socket and a second one connected to it. */
export async function udpPair(type: 'udp4' | 'udp6'): Promise<{ bound: dgram.Socket; connected: dgram.Socket; port: number; close(): void }> {
  const host = type === 'udp4' ? '127.0.0.1' : '::1';
  const bind = (s: dgram.Socket) => new Promise<void>((ok) => s.bind(0, host, ok));
  const bound = dgram.createSocket(type);
  await bind(bound);
  const connected = dgram.createSocket(type);
  await bind(connected);
  const port = bound.address().port;
  await new Promise<void>((ok) => connected.connect(port, host, ok));
  return { bound, connected, port, close: () => { bound.close(); connected.close(); } };
}
