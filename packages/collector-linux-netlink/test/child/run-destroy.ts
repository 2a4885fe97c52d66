// Runs the destroy-event source in a child process whose privileges a test changed (setpriv),
// closes one listener it should hear about, and prints one JSON line of what happened.
// Bundled by test/child/bundle.ts.
import { once } from 'node:events';
import net from 'node:net';

const { createDestroyEventSource } = await import('../../src/index.js');
const options = JSON.parse(process.argv[2] ?? '{}') as { rcvbuf?: number };
const notices: string[] = [];
const out: Record<string, unknown> = {};
try {
  const src = await createDestroyEventSource(options, { platform: 'linux', reportOnce: (_key, message) => void notices.push(message) });
  src.start();
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  const warnings: string[] = [];
  let heard = 0;
  for (let i = 0; i < 100 && heard === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const d = src.drain();
    heard += d.records.filter((r) => r.local.port === port && r.closedAt !== undefined).length;
    warnings.push(...d.warnings.map((w) => w.code));
  }
  await new Promise((r) => setTimeout(r, 200));
  warnings.push(...src.drain().warnings.map((w) => w.code));
  await src.close();
  Object.assign(out, { heard, warnings, sockets: src.stats().sockets, uid: process.getuid?.() });
} catch (err) {
  out.error = { code: (err as { code?: string }).code, message: (err as Error).message };
}
out.notices = notices;
console.log(JSON.stringify(out));
process.exit(0);
