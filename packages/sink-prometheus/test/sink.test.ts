import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createPipeline, isSockscopeError, type MetricFamily } from '@sockscope/core';
import { afterEach, describe, expect, it } from 'vitest';
import { pooledChunks, serializeFamilies } from '../src/exposition.js';
import { createPrometheusSink, type PrometheusSinkInstance } from '../src/sink.js';
import { fixedFold, inTestCollector, selfMetricsWithRuntime, sinkContext } from './harness.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

let sink: PrometheusSinkInstance | undefined;
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});

async function startSink(collectDelayMs = 0, minIntervalMs = 0, extra: MetricFamily[] = []) {
  const demo = inTestCollector('demo', { value: 42, delayMs: collectDelayMs });
  const selfMetrics = selfMetricsWithRuntime();
  const pipeline = createPipeline({
    collectors: [
      { name: 'demo', collector: demo, timeoutMs: 1000 },
      { name: 'broken', collector: inTestCollector('broken', { fail: true }), timeoutMs: 1000 },
    ],
    enrichers: [],
    metrics: fixedFold(extra),
    selfMetrics,
    minIntervalMs,
  });
  sink = createPrometheusSink(sinkContext({ listen_address: '127.0.0.1:0' }, pipeline, selfMetrics));
  await sink.start();
  return { port: sink.address()?.port as number, collections: () => demo.calls, selfMetrics, pipeline };
}

describe('prometheus sink over HTTP', () => {
  it('serves /metrics with collector families, per-collector self-metrics, build info and process metrics', async () => {
    const { port } = await startSink();
    const res = await get(port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.body.toString();
    expect(text).toContain('sockscope_demo_value 42\n');
    expect(text).toContain('sockscope_scrape_collector_success{collector="demo"} 1\n');
    expect(text).toContain('sockscope_scrape_collector_success{collector="broken"} 0\n');
    expect(text).toMatch(/sockscope_scrape_collector_duration_seconds\{collector="demo"\} [0-9.e-]+\n/);
    expect(text).toMatch(/sockscope_build_info\{version="0.1.0-test",revision="[^"]+",nodeversion="[^"]+",platform="[^"]+",arch="[^"]+"\} 1/);
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it('serializes what core rendered and nothing else but the Node runtime: collector status and self metrics once, not added again by the sink', async () => {
    const { port, selfMetrics, pipeline } = await startSink();
    selfMetrics.provide('otlp', () => [
      { name: 'sockscope_otlp_exports_total', help: 'OTLP metric exports by result.', type: 'counter', samples: [{ labels: { result: 'success' }, value: 7 }] },
    ]);
    const text = (await get(port, '/metrics')).body.toString();
    const rendered = pipeline.latest();
    expect(rendered).toBeDefined();
    const core = serializeFamilies(rendered?.families ?? []);
    expect(text.startsWith(core)).toBe(true);
    expect(core).toContain('sockscope_otlp_exports_total{result="success"} 7\n');
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('sockscope_scrape_collector_success{collector="demo"}'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('sockscope_scrape_collector_duration_seconds{collector="broken"}'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('sockscope_otlp_exports_total{'))).toHaveLength(1);
    // what follows core's families is prom-client's registry: process, Node.js and build info only
    // (issue 14) the runtime's process_* and nodejs_* are self metrics now, in core's part;
    // what follows core's families is the sink's build info alone
    expect(core).toContain('# TYPE process_resident_memory_bytes gauge');
    const runtime = text.slice(core.length).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(runtime.length).toBeGreaterThan(0);
    expect(runtime.filter((l) => !/^(process_|nodejs_|sockscope_build_info\{)/.test(l))).toEqual([]);
    expect(runtime.filter((l) => !/^sockscope_build_info\{/.test(l))).toEqual([]);
  });

  it('gzips /metrics when asked', async () => {
    const { port } = await startSink();
    const res = await get(port, '/metrics', { 'accept-encoding': 'gzip, deflate' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toContain('sockscope_demo_value 42');
  });

  it('streams a large exposition in chunks, plain and gzipped, the same text serializeFamilies writes', async () => {
    const flows: MetricFamily = {
      name: 'sockscope_test_flow', help: 'One series per flow.', type: 'gauge',
      samples: Array.from({ length: 25_000 }, (_, i) => ({ labels: { src_port: String(i) }, value: i / 7 })),
    };
    const { port } = await startSink(0, 0, [flows]);
    const plain = await get(port, '/metrics');
    expect(plain.headers['transfer-encoding']).toBe('chunked');
    const text = plain.body.toString('utf8');
    expect(text.startsWith(serializeFamilies([flows]))).toBe(true);
    expect(text).toContain('sockscope_build_info{');
    const zipped = await get(port, '/metrics', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const unzipped = gunzipSync(zipped.body).toString('utf8');
    expect(unzipped.startsWith(serializeFamilies([flows]))).toBe(true);
    expect(unzipped.split('\n').filter((l) => l.startsWith('sockscope_test_flow{'))).toHaveLength(25_000);
  });

  it('reuses written chunks for later ones and never one a slow or zipping scrape still reads: every body intact', async () => {
    // 150,000 series of ~60 bytes, 9 MB: more than the loopback socket buffers take, so the slow scrape has writes in flight
    const flows: MetricFamily = {
      name: 'sockscope_test_flow', help: 'One series per flow.', type: 'gauge',
      samples: Array.from({ length: 150_000 }, (_, i) => ({ labels: { src: `10.${i >> 8 & 255}.${i & 255}.1`, src_port: String(i) }, value: i / 7 })),
    };
    const { port } = await startSink(0, 0, [flows]);
    const expected = serializeFamilies([flows]);
    const before = pooledChunks();
    // a client that reads nothing for a while: its scrape waits on drain holding chunks in flight
    const slow = new Promise<Buffer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        const chunks: Buffer[] = [];
        res.pause();
        setTimeout(() => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.resume();
        }, 300);
      });
      req.on('error', reject);
      req.end();
    });
    // meanwhile scrapes of new collections, plain and gzipped, write their chunks from the pool
    const others: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      const got = await Promise.all([get(port, '/metrics'), get(port, '/metrics', { 'accept-encoding': 'gzip' }), get(port, '/metrics')]);
      others.push(got[0].body, gunzipSync(got[1].body), got[2].body);
    }
    for (const body of [...others, await slow]) {
      const text = body.toString('utf8');
      expect(text.startsWith(expected)).toBe(true);
      // what follows the flows (the agent's own families, their values differ by scrape) is whole lines of the format
      const rest = text.slice(expected.length).split('\n');
      expect(rest.pop()).toBe('');
      for (const line of rest) expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .*|[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? [-+0-9.e]+|[a-z_]+(\{.*\})? NaN)$/);
      expect(rest.at(-1)).toMatch(/^sockscope_build_info\{.*\} 1$/);
    }
    // written chunks went back to the pool (and were taken again: it holds a few, not 10 scrapes' worth)
    expect(pooledChunks()).toBeGreaterThan(before);
    expect(pooledChunks()).toBeLessThanOrEqual(16);
    // ten expositions of 9 MB and a gzip: 4.4-10 s on a slow host, over vitest's 5 s default (a
    // correctness test, not a timed one)
  }, 30_000);

  it('shares one in-flight collection between concurrent scrapes and serves the cache within the minimum interval', async () => {
    const { port, collections } = await startSink(50, 60_000);
    const all = await Promise.all([1, 2, 3, 4].map(() => get(port, '/metrics')));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(collections()).toBe(1);
    await get(port, '/metrics');
    expect(collections()).toBe(1);
  });

  it('serves /health as JSON naming the failed collector, an index at / and 404 elsewhere', async () => {
    const { port } = await startSink();
    await get(port, '/metrics');
    const health = JSON.parse((await get(port, '/health')).body.toString());
    expect(health.status).toBe('degraded');
    expect(health.failed_collectors).toEqual(['broken']);
    expect(health.collectors.find((c: { name: string }) => c.name === 'broken').error).toBe('broken was told to fail');
    const index = await get(port, '/');
    expect(index.body.toString()).toContain('<a href="/metrics">');
    expect((await get(port, '/nope')).status).toBe(404);
  });

  it('refuses a busy port with one clear line and the code ERR_PROMETHEUS_LISTEN_IN_USE (a runtime error, not a config error)', async () => {
    const { port } = await startSink();
    const other = createPrometheusSink(
      sinkContext({ listen_address: `127.0.0.1:${port}`, process_metrics: false }, createPipeline({ collectors: [], enrichers: [], metrics: fixedFold([]), minIntervalMs: 0 })),
    );
    const err: unknown = await other.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`cannot listen on 127.0.0.1:${port}: the port is already in use (pick another with --web.listen-address)`);
    expect(isSockscopeError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('ERR_PROMETHEUS_LISTEN_IN_USE');
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('EADDRINUSE');
    // the failed start left nothing bound: the sink can stop, and start once the port is free
    await other.stop();
    expect(other.address()).toBeUndefined();
  });

  it.skipIf(!existsSync('/usr/bin/promtool'))('passes promtool check metrics', async () => {
    const { port } = await startSink();
    const body = (await get(port, '/metrics')).body.toString();
    const out = await new Promise<{ code: number; text: string }>((resolve) => {
      const child = execFile('/usr/bin/promtool', ['check', 'metrics'], (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
      );
      child.stdin?.end(body);
    });
    expect(out.text).toBe('');
    expect(out.code).toBe(0);
  });
});
