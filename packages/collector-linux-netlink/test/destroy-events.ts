// Helpers of the destroy-event tests: a context that keeps its notices, and a drain loop.
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import type { SocketRecord } from '@sockscope/core';
import type { DestroyEventSource } from '../src/index.js';

/** What createDestroyEventSource needs of a plugin context; what it reports once lands in `notices`. */
export function destroyContext(): { platform: NodeJS.Platform; reportOnce(key: string, message: string): void; notices: string[] } {
  const notices: string[] = [];
  return { platform: 'linux', reportOnce: (_key, message) => void notices.push(message), notices };
}

/** Drains `src` every 20 ms into one list until `done(list)` or `timeoutMs`; returns the list and every warning. */
export async function drainUntil(src: DestroyEventSource, done: (records: SocketRecord[]) => boolean, timeoutMs = 5000): Promise<{ records: SocketRecord[]; warnings: string[] }> {
  const records: SocketRecord[] = [];
  const warnings: string[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = src.drain();
    records.push(...d.records);
    warnings.push(...d.warnings.map((w) => `${w.code}: ${w.message}`));
    if (done(records) || Date.now() > until) return { records, warnings };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One TCP connection's two ends, by port, and the bytes each side sent. */
export interface Exchange {
  clientPort: number;
  serverPort: number;
  /** Bytes the client sent. */
  up: number;
  /** Bytes the server sent. */
  down: number;
}

/**
 * Opens `sizes.length` connections to one listener on `host`, one at a time: the client sends
 * `up` bytes and half-closes, the server answers `down` bytes and closes, the client closes.
 * Resolves when every socket (listener included) is closed.
 */
export async function exchange(host: string, sizes: readonly { up: number; down: number }[]): Promise<{ listenerPort: number; exchanges: Exchange[] }> {
  const server = net.createServer();
  server.listen({ port: 0, host });
  await once(server, 'listening');
  const serverPort = (server.address() as net.AddressInfo).port;
  const exchanges: Exchange[] = [];
  for (const { up, down } of sizes) {
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect({ port: serverPort, host });
    await once(client, 'connect');
    const clientPort = client.localPort as number; // gone once the socket closes
    const [peer] = await accepted;
    let got = 0;
    peer.on('data', (d: Buffer) => void (got += d.length));
    peer.on('end', () => {
      if (got !== up) throw new Error(`server got ${got} bytes, expected ${up}`);
      peer.end(Buffer.alloc(down, 2));
    });
    let back = 0;
    client.on('data', (d: Buffer) => void (back += d.length));
    client.end(Buffer.alloc(up, 1));
    await Promise.all([once(client, 'close'), once(peer, 'close')]);
    if (back !== down) throw new Error(`client got ${back} bytes, expected ${down}`);
    exchanges.push({ clientPort, serverPort, up, down });
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { listenerPort: serverPort, exchanges };
}

/** A connected UDP pair on `host` that sends `count` datagrams each way, then closes. */
export async function udpExchange(type: 'udp4' | 'udp6', host: string, count: number): Promise<{ a: number; b: number }> {
  const a = dgram.createSocket(type);
  const b = dgram.createSocket(type);
  a.bind(0, host);
  b.bind(0, host);
  await Promise.all([once(a, 'listening'), once(b, 'listening')]);
  const pa = a.address().port;
  const pb = b.address().port;
  a.connect(pb, host);
  b.connect(pa, host);
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  let got = 0;
  const all = new Promise<void>((resolve) => {
    const on = () => void (++got === 2 * count && resolve());
    a.on('message', on);
    b.on('message', on);
  });
  for (let i = 0; i < count; i++) {
    a.send(Buffer.alloc(100, i));
    b.send(Buffer.alloc(50, i));
  }
  await all;
  await Promise.all([new Promise<void>((r) => a.close(() => r())), new Promise<void>((r) => b.close(() => r()))]);
  return { a: pa, b: pb };
}
