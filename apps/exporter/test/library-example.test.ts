import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../../../examples/library/index.js', import.meta.url));
const run = promisify(execFile);

describe('examples/library', () => {
  it('lists a live loopback connection with its RTT and owning process', async () => {
    const server = net.createServer((c) => c.on('data', () => c.write('pong'))).listen({ port: 0, host: '127.0.0.1' });
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect({ port, host: '127.0.0.1' });
    await once(client, 'connect');
    client.write('ping');
    await once(client, 'data'); // one round trip, so the kernel has an RTT sample
    try {
      const { stdout } = await run(process.execPath, [EXAMPLE, '--port', String(port)]);
      const [header, ...rows] = stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
      expect(header).toEqual(['local', 'remote', 'rtt_ms', 'process']);
      const comm = readFileSync('/proc/self/comm', 'utf8').trim();
      const own = `${comm}[${process.pid}]`;
      // both ends of the connection are this process's: the client side and the accepted side
      const clientRow = rows.find((r) => r[1] === `127.0.0.1:${port}`);
      const serverRow = rows.find((r) => r[0] === `127.0.0.1:${port}`);
      expect(clientRow?.[0]).toBe(`127.0.0.1:${client.localPort}`);
      expect(clientRow?.[3]).toBe(own);
      expect(serverRow?.[3]).toBe(own);
      expect(Number(clientRow?.[2])).toBeGreaterThan(0);
      expect(rows).toHaveLength(2);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('refuses a bad port with a usage line and exit 2', async () => {
    await expect(run(process.execPath, [EXAMPLE, '--port', 'http'])).rejects.toMatchObject({ code: 2, stderr: 'usage: index.js [--port N]   (N: a TCP port, 1-65535)\n' });
  });
});
