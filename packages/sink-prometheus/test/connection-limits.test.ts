import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext } from '@sockscope/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_RESERVE } from '../src/connections.js';
import { prometheusSink } from '../src/plugin.js';
import { corePipeline, sinkContext, startSink, stopAll } from './harness.js';
import { call } from './http.js';

const clients: net.Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await stopAll();
});

type Entry = { level: string; msg: string } & Record<string, unknown>;

/** A logger that keeps every entry with its fields. */
function recordingLogger() {
  const entries: Entry[] = [];
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void entries.push({ ...fields, level, msg });
  const logger = { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

/** The sink context of these tests, with a logger that keeps fields. */
function context(config: Parameters<typeof sinkContext>[0], pipeline: Parameters<typeof sinkContext>[1]) {
  const logger = recordingLogger();
  return { ...sinkContext(config, pipeline), logger };
}

/** Opens a loopback connection that sends nothing; `closed` says whether the server closed it. */
async function idle(port: number): Promise<{ socket: net.Socket; closed: () => boolean; data: () => string }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  clients.push(socket);
  let closed = false;
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
  return { socket, closed: () => closed, data: () => data };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A GET on a connection of its own that must answer within `ms`. */
async function within(port: number, path: string, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${path} did not answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([call(port, path), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('no connection limit (issue 15): max_connections, timeouts and the probe reserve', () => {
  it('defaults are node_exporter-like and well under the fd limit: 512 connections, headers within 10s, keep-alive idle 60s, shutdown within 5s', () => {
    const { config } = createPluginContext(prometheusSink, {});
    expect(config).toMatchObject({ max_connections: 512, read_header_timeout: '10s', idle_timeout: '60s', shutdown_timeout: '5s' });
  });

  it('3,000 idle loopback connections against max_connections 64: the sink holds at most the limit and its reserve, logs the limit once, and /health, /-/healthy and /-/ready answer', async () => {
    const { pipeline } = corePipeline({ demo: {} });
    const ctx = context({ listen_address: '127.0.0.1:0', max_connections: 64 }, pipeline);
    const { sink, port } = await startSink(ctx);
    const conns: Awaited<ReturnType<typeof idle>>[] = [];
    for (let i = 0; i < 3000; i += 100) conns.push(...(await Promise.all(Array.from({ length: 100 }, () => idle(port)))));
    // the server closes the ones idle the longest to make room: at most the limit stays open
    await until(() => conns.filter((c) => !c.closed()).length <= 64, 10_000, 'the server to close connections over the limit');
    const open = sink.state().connections.open;
    expect(open).toBeLessThanOrEqual(64 + PROBE_RESERVE);
    for (const path of ['/health', '/-/healthy', '/-/ready']) {
      const res = await within(port, path, 2000);
      expect([200, 503]).toContain(res.status); // /-/ready is 503 until a collection ran
    }
    expect((await within(port, '/-/healthy', 2000)).text).toBe('sockscope is healthy.\n');
    const warnings = ctx.logger.entries.filter((e) => e.msg.startsWith('connection limit reached'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', max_connections: 64 });
    // the episode ends, said once, when the connections are gone
    for (const c of conns) c.socket.destroy();
    await until(() => ctx.logger.entries.some((e) => e.msg === 'connections back under the limit'), 5000, 'the end of the episode');
    expect(ctx.logger.entries.filter((e) => e.msg === 'connections back under the limit')).toHaveLength(1);
    expect(sink.state().connections.evicted).toBeGreaterThanOrEqual(3000 - 64);
  }, 30_000);

  it('when every connection is busy, a connection beyond the limit serves the probes and answers 503 to a scrape', async () => {
    const { pipeline } = corePipeline({ slow: { delayMs: 1500 } });
    const ctx = context({ listen_address: '127.0.0.1:0', max_connections: 4 }, pipeline);
    const { port } = await startSink(ctx);
    const busy = Array.from({ length: 4 }, () => call(port, '/metrics'));
    await new Promise((r) => setTimeout(r, 300));
    const health = await within(port, '/health', 1000);
    expect(health.status).toBe(200);
    const scrape = await within(port, '/metrics', 1000);
    expect(scrape.status).toBe(503);
    expect(scrape.text).toMatch(/^too many connections: \d+ are open, the limit is 4 \(max_connections, --web.max-connections\)/);
    for (const res of await Promise.all(busy)) expect(res.status).toBe(200);
  });

  it('a connection that sends no request, or its headers too slowly, is answered 408 and closed after read_header_timeout', async () => {
    const { pipeline } = corePipeline({ demo: {} });
    const { port } = await startSink(context({ listen_address: '127.0.0.1:0', read_header_timeout: '500ms' }, pipeline));
    const t0 = Date.now();
    const silent = await idle(port);
    const slow = await idle(port);
    slow.socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => slow.socket.writable && slow.socket.write('X-A: b\r\n'), 100);
    try {
      await until(() => silent.closed() && slow.closed(), 4000, 'both connections to be closed');
    } finally {
      clearInterval(drip);
    }
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(silent.data()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow.data()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('a keep-alive connection idle for idle_timeout is closed', async () => {
    const { pipeline } = corePipeline({ demo: {} });
    const { port } = await startSink(context({ listen_address: '127.0.0.1:0', idle_timeout: '300ms' }, pipeline));
    const c = await idle(port);
    c.socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.data().includes('sockscope is healthy.'), 2000, 'the answer');
    const answered = Date.now();
    await until(c.closed, 3000, 'the idle connection to be closed');
    // Node's own default would keep it 5 s
    expect(Date.now() - answered).toBeLessThan(2000);
  });

  it('over TLS too: connections that never finish the handshake count against max_connections and are closed after read_header_timeout, and an HTTPS /health answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sink-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=127.0.0.1', '-days', '1'], {
        cwd: dir,
        stdio: 'ignore',
      });
      const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
      const { pipeline } = corePipeline({ demo: {} });
      const ctx = { ...context({ listen_address: '127.0.0.1:0', max_connections: 16, read_header_timeout: '500ms' }, pipeline), createServer: (l: Parameters<typeof createHttpsServer>[1]) => createHttpsServer(tls, l) };
      const { sink, port } = await startSink(ctx);
      const t0 = Date.now();
      const conns = await Promise.all(Array.from({ length: 200 }, () => idle(port)));
      await until(() => conns.filter((c) => !c.closed()).length <= 16, 5000, 'the server to close connections over the limit');
      expect(sink.state().connections.open).toBeLessThanOrEqual(16 + PROBE_RESERVE);
      // the reserve and the eviction of idle connections leave room for a real HTTPS client
      const health = await new Promise<number>((resolve, reject) => {
        const req = httpsGet({ host: '127.0.0.1', port, path: '/health', ca: tls.cert, checkServerIdentity: () => undefined }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      expect(health).toBe(200);
      // the ones still open never started TLS: closed after the header timeout (checked every second)
      await until(() => conns.every((c) => c.closed()), 5000, 'the connections that never sent a ClientHello to be closed');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(sink.state().connections.timedOut).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
