import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/** The socket inode behind a Node socket or server, read from /proc/self/fd (socket:[N]). */
export function inodeOf(s: net.Socket | net.Server | dgram.Socket): number {
  // _handle.fd is internal but stable on Linux, and the only way from a Node socket to its fd.
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
  const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  if (!m) throw new Error(`fd ${fd} is not a socket`);
  return Number(m[1]);
}

/** A listener with one connection to it, data sent both ways; close() tears it all down. */
export interface LoopbackPair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
  port: number;
  close(): Promise<void>;
}

/** Opens a TCP listener on `host` (ephemeral port), connects to it and exchanges `bytes` bytes. */
export async function openPair(host: string, bytes = 64 * 1024): Promise<LoopbackPair> {
  const server = net.createServer();
  server.listen({ port: 0, host, backlog: 32 });
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port, host });
  await once(client, 'connect');
  const [accepted] = await acceptedP;
  let received = 0;
  const got = new Promise<void>((resolve) =>
    accepted.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= bytes) resolve();
    }),
  );
  client.write(Buffer.alloc(bytes, 7));
  await got;
  accepted.write(Buffer.alloc(1000, 8));
  await once(client, 'data');
  return {
    server,
    client,
    accepted,
    port,
    async close() {
      client.destroy();
      accepted.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A bound, unconnected UDP socket on `host`. */
export async function openUdp(type: 'udp4' | 'udp6', host: string): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
  s.bind(0, host);
  await once(s, 'listening');
  return s;
}

/** How many NETLINK_SOCK_DIAG sockets this process holds open (fds matched to /proc/net/netlink). */
export function openSockDiagSockets(): number {
  const diag = new Set<string>();
  for (const line of readFileSync('/proc/self/net/netlink', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '4' && f[9]) diag.add(f[9]);
  }
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m && diag.has(m[1] as string)) n++;
    } catch {
      // the fd closed while we looked
    }
  }
  return n;
}
