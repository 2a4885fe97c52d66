import { once } from 'node:events';
import net from 'node:net';
import type { MetricFamily } from '@sockscope/core';
import { afterEach, describe, expect, it } from 'vitest';
import { corePipeline, sinkContext, startSink, stopAll } from './harness.js';

afterEach(stopAll);

/** A gauge family with `n` series of long labels: several MB of text. */
function bigFamily(n: number): MetricFamily {
  const samples = Array.from({ length: n }, (_, i) => ({ labels: { peer: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${40000 + (i % 20000)}`, command: `worker-process-${i}` }, value: i }));
  return { name: 'sockscope_test_big', help: 'A big family.', type: 'gauge', samples };
}

describe('SIGTERM has no deadline (issue 15): stop() cuts what is still in flight after shutdown_timeout', () => {
  it('a client that reads /metrics very slowly keeps stop() no longer than shutdown_timeout, and the cut scrape is logged', async () => {
    const { pipeline } = corePipeline({ demo: {} }, [bigFamily(100_000)]);
    const entries: { level: string; msg: string; [k: string]: unknown }[] = [];
    const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void entries.push({ ...fields, level, msg });
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
    const ctx = { ...sinkContext({ listen_address: '127.0.0.1:0', shutdown_timeout: '700ms' }, pipeline), logger };
    const { sink, port } = await startSink(ctx);

    // a reader that takes the headers and a first bite, then reads nothing more
    const slow = net.connect({ port, host: '127.0.0.1' });
    await once(slow, 'connect');
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    let got = 0;
    let tail = '';
    let first = true;
    await new Promise<void>((resolve) =>
      slow.on('data', (d: Buffer) => {
        got += d.length;
        tail = (tail + d.toString('latin1')).slice(-16);
        if (!first) return;
        first = false;
        slow.pause();
        resolve();
      }),
    );
    let closed = false;
    slow.on('close', () => (closed = true));
    slow.on('error', () => undefined);
    // an idle keep-alive connection is closed at once, not kept for the deadline
    const idle = net.connect({ port, host: '127.0.0.1' });
    await once(idle, 'connect');
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));

    const t0 = performance.now();
    const stopped = sink.stop().then(() => performance.now() - t0);
    const gaveUp = new Promise<number>((r) => setTimeout(() => r(Infinity), 5000));
    const took = await Promise.race([stopped, gaveUp]);
    expect(took).toBeGreaterThanOrEqual(600);
    expect(took).toBeLessThan(2500);
    // what the kernel still held comes through, then the connection ends without the chunked terminator
    slow.resume();
    const t1 = Date.now();
    while (!closed && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(tail.endsWith('0\r\n\r\n')).toBe(false);
    expect(got).toBeLessThan(5_000_000);
    expect(idleClosed).toBe(true);
    const warning = entries.find((e) => e.msg === 'shutdown timeout: cutting the requests still in flight');
    expect(warning).toMatchObject({ level: 'warn', shutdown_timeout: '700ms', cut: 1 });
    expect(String(warning?.requests)).toMatch(/^GET \/metrics \(\d+\.\d+s, \d+ bytes sent\)$/);
    slow.destroy();
    idle.destroy();
  }, 15_000);

  it('a scrape that finishes within shutdown_timeout is written whole and nothing is logged as cut', async () => {
    const { pipeline } = corePipeline({ demo: { delayMs: 300 } });
    const entries: string[] = [];
    const log = (level: string) => (msg: string) => void entries.push(`${level}: ${msg}`);
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
    const ctx = { ...sinkContext({ listen_address: '127.0.0.1:0', shutdown_timeout: '5s' }, pipeline), logger };
    const { sink, port } = await startSink(ctx);
    const scrape = fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await sink.stop();
    expect(performance.now() - t0).toBeLessThan(2000);
    const res = await scrape;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    expect(res.text).toContain('sockscope_demo_value 1\n');
    expect(entries.filter((e) => e.includes('shutdown timeout'))).toEqual([]);
  });
});
