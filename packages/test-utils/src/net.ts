import { createServer } from 'node:net';

/**
 * A TCP port free right now on 127.0.0.1, for servers that do not report the port they bound
 * for :0 (Prometheus, node_exporter) or tests that must know the port before starting one.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
