import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { collectSnapshot, createPipeline, renderSocketCounts, type MetricFamily, type SinkContext } from '@sockscope/core';
import { testCollector, testContext } from '@sockscope/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeFamilies } from '../src/exposition.js';
import { createPrometheusSink, type PrometheusSinkInstance } from '../src/sink.js';
import type { PrometheusSinkConfig } from '../src/config.js';

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
  let collections = 0;
  const def = testCollector('demo');
  const collector = await def.create(testContext({ delay_ms: 0, fail: false, value: 42 }));
  const failing = await testCollector('broken').create(testContext({ delay_ms: 0, fail: true, value: 0 }));
  const pipeline = createPipeline({
    collect: async () => {
      collections++;
      if (collectDelayMs) await new Promise((r) => setTimeout(r, collectDelayMs));
      return collectSnapshot([
        { name: 'demo', collector, timeoutMs: 1000 },
        { name: 'broken', collector: failing, timeoutMs: 1000 },
      ]);
    },
    render: (s) => [...extra, renderSocketCounts(s.sockets), ...s.families],
    minIntervalMs,
  });
  const health = new Map<string, Record<string, unknown>>();
  const ctx: SinkContext<PrometheusSinkConfig> = {
    ...testContext<PrometheusSinkConfig>({ listen_address: '127.0.0.1:0', metrics_path: '/metrics', process_metrics: true }),
    pipeline,
    build: { version: '0.1.0-test', nodeVersion: process.versions.node, platform: process.platform, arch: process.arch },
    health: { set: (k, v) => void health.set(k, v), all: () => Object.fromEntries(health) },
  };
  sink = createPrometheusSink(ctx);
  await sink.start();
  return { port: sink.address()?.port as number, collections: () => collections };
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
    expect(text).toMatch(/sockscope_build_info\{version="0.1.0-test",nodeversion="[^"]+",platform="[^"]+",arch="[^"]+"\} 1/);
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
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

  it('refuses a busy port with one clear line', async () => {
    const { port } = await startSink();
    const other = createPrometheusSink({
      ...testContext<PrometheusSinkConfig>({ listen_address: `127.0.0.1:${port}`, metrics_path: '/metrics', process_metrics: false }),
      pipeline: createPipeline({ collect: () => collectSnapshot([]), render: () => [], minIntervalMs: 0 }),
      build: { version: 'x', nodeVersion: 'x', platform: 'x', arch: 'x' },
      health: { set: () => {}, all: () => ({}) },
    });
    await expect(other.start()).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is already in use (pick another with --web.listen-address)`);
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
