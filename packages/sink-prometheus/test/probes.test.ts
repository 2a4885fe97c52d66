import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RenderedSnapshot } from '@sockscope/core';
import { controlledPipeline, renderedSnapshot } from '@sockscope/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { call } from './http.js';
import { corePipeline, sinkContext, startSink, stopAll } from './harness.js';

afterEach(stopAll);

describe('/health, /-/healthy and /-/ready for probes', () => {
  // /health answered "ok" before any collection had run: a probe could not tell a fresh agent from a healthy one
  it('/health says starting before the first collection, ok after it', async () => {
    const pipeline = controlledPipeline();
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline));
    const before = JSON.parse((await call(port, '/health')).text);
    expect(before).toMatchObject({ status: 'starting', reason: 'no collection has finished yet', last_collection: null, failed_collectors: [] });
    await call(port, '/metrics');
    const after = JSON.parse((await call(port, '/health')).text);
    expect(after.status).toBe('ok');
    expect(after).not.toHaveProperty('reason');
  });

  it('/health says degraded and names each failing collector with its error in one line', async () => {
    const { pipeline } = corePipeline({ demo: {}, 'linux-procfs': { fail: true } });
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline));
    await call(port, '/metrics');
    const res = await call(port, '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      status: 'degraded',
      reason: 'collector linux-procfs failed: linux-procfs was told to fail',
      failed_collectors: ['linux-procfs'],
    });
  });

  it('/-/healthy answers 200 whenever the process serves; /-/ready answers 503 with the reason until the first collection, then 200', async () => {
    let release!: (r: RenderedSnapshot) => void;
    const pipeline = controlledPipeline(() => new Promise((resolve) => (release = resolve)));
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline));
    const healthy = await call(port, '/-/healthy');
    expect([healthy.status, healthy.text]).toEqual([200, 'sockscope is healthy.\n']);
    expect(healthy.headers['content-type']).toBe('text/plain; charset=utf-8');
    const notReady = await call(port, '/-/ready');
    expect([notReady.status, notReady.text]).toEqual([503, 'sockscope is not ready: no collection has finished yet\n']);
    // a collection under way is not a finished one
    const scrape = call(port, '/metrics');
    await vi.waitFor(() => expect(pipeline.collects).toBe(1));
    expect((await call(port, '/-/ready')).status).toBe(503);
    release(renderedSnapshot());
    expect((await scrape).status).toBe(200);
    const ready = await call(port, '/-/ready');
    expect([ready.status, ready.text]).toEqual([200, 'sockscope is ready.\n']);
    expect((await call(port, '/-/healthy', { method: 'HEAD' })).status).toBe(200);
    expect((await call(port, '/-/ready', { method: 'HEAD' })).status).toBe(200);
  });

  it('/-/ready answers 503 "shutting down" once stop() began, while in-flight scrapes finish', async () => {
    let release!: (r: RenderedSnapshot) => void;
    const pipeline = controlledPipeline(async () => renderedSnapshot());
    // a second server on the sink's own request handler, still listening after the sink's stops accepting
    let handler!: RequestListener;
    const ctx = { ...sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline), createServer: (l: RequestListener) => ((handler = l), createServer(l)) };
    const { sink, port } = await startSink(ctx);
    await call(port, '/metrics');
    const side: Server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => side.listen(0, '127.0.0.1', resolve));
    const sidePort = (side.address() as AddressInfo).port;
    try {
      expect((await call(sidePort, '/-/ready')).status).toBe(200);
      pipeline.answer(() => new Promise((resolve) => (release = resolve)));
      const scrape = call(port, '/metrics');
      await vi.waitFor(() => expect(pipeline.collects).toBe(2));
      const stopping = sink.stop();
      const res = await call(sidePort, '/-/ready');
      expect([res.status, res.text]).toEqual([503, 'sockscope is not ready: shutting down\n']);
      release(renderedSnapshot());
      expect((await scrape).status).toBe(200);
      await stopping;
    } finally {
      await new Promise((resolve) => side.close(resolve));
    }
  });
});
