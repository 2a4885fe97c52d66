import { createServer, connect, type Server, type Socket } from 'node:net';

/** Loopback TCP connections kept busy for the length of a test, so per-flow metrics have flows to show. */
export interface LoopbackTraffic {
  /** The listening port. */
  port: number;
  /** Closes every client, then the server. */
  stop(): Promise<void>;
}

/** Opens `clients` connections to an echo server on 127.0.0.1 and has each send a line every 100 ms. */
export async function startLoopbackTraffic(clients: number): Promise<LoopbackTraffic> {
  const accepted: Socket[] = [];
  const server: Server = createServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
      s.on('data', () => undefined);
    })),
  );
  const payload = Buffer.alloc(512, 'x');
  const timer = setInterval(() => {
    for (const s of sockets) s.write(payload);
  }, 100);
  return {
    port,
    async stop() {
      clearInterval(timer);
      for (const s of [...sockets, ...accepted]) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
