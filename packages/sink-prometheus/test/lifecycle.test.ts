import { createPluginContext } from '@sockscope/core';
import { controlledPipeline, testLifecycle } from '@sockscope/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { prometheusSink } from '../src/plugin.js';
import type { PrometheusSinkConfig } from '../src/config.js';
import { call } from './http.js';
import { sinkContext, startSink, stopAll } from './harness.js';

afterEach(stopAll);

const start = (config: Partial<PrometheusSinkConfig>, lifecycle?: ReturnType<typeof testLifecycle>) =>
  startSink({ ...sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false, ...config }, controlledPipeline()), ...(lifecycle ? { lifecycle } : {}) });

describe('POST /-/reload (--web.enable-lifecycle)', () => {
  it('is off by default and answers 403 saying how to turn it on, without reloading', async () => {
    expect(createPluginContext(prometheusSink, {}).config.enable_lifecycle).toBe(false);
    const lifecycle = testLifecycle();
    const { port } = await start({}, lifecycle);
    const res = await call(port, '/-/reload', { method: 'POST' });
    expect([res.status, res.text]).toEqual([403, 'lifecycle APIs are not enabled (start with --web.enable-lifecycle)\n']);
    expect(lifecycle.reloads).toBe(0);
  });

  it('reloads through the lifecycle on POST and on PUT, as Prometheus accepts both, answering 200', async () => {
    const lifecycle = testLifecycle();
    const { port } = await start({ enable_lifecycle: true }, lifecycle);
    const post = await call(port, '/-/reload', { method: 'POST' });
    expect([post.status, post.text]).toEqual([200, 'reloaded\n']);
    const put = await call(port, '/-/reload', { method: 'PUT' });
    expect([put.status, put.text]).toEqual([200, 'reloaded\n']);
    expect(lifecycle.reloads).toBe(2);
  });

  it('answers 400 with every error of a refused config, one per line', async () => {
    const lifecycle = testLifecycle(async () => ({
      ok: false,
      errors: ['collectors.linux-procfs.interfaces.exclude: invalid regular expression: /(/: Unterminated group', 'flows.max_series: must be >= 1'],
    }));
    const { port } = await start({ enable_lifecycle: true }, lifecycle);
    const res = await call(port, '/-/reload', { method: 'POST' });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      'config not reloaded, the old one stays:\ncollectors.linux-procfs.interfaces.exclude: invalid regular expression: /(/: Unterminated group\nflows.max_series: must be >= 1\n',
    );
  });

  it('answers 500 with the error when the reload itself fails', async () => {
    const { port } = await start({ enable_lifecycle: true }, testLifecycle(() => Promise.reject(new Error('cannot read /etc/sockscope.yaml: EACCES'))));
    const res = await call(port, '/-/reload', { method: 'POST' });
    expect([res.status, res.text]).toEqual([500, 'reload failed: cannot read /etc/sockscope.yaml: EACCES\n']);
  });

  it('answers 501 when the context has no lifecycle (a library user)', async () => {
    const { port } = await start({ enable_lifecycle: true });
    const res = await call(port, '/-/reload', { method: 'POST' });
    expect(res.status).toBe(501);
    expect(res.text).toMatch(/no lifecycle actions/);
  });

  it('answers 405 to GET /-/reload, and still 405 to anything but GET and HEAD on every other path', async () => {
    const lifecycle = testLifecycle();
    const { port } = await start({ enable_lifecycle: true }, lifecycle);
    const get = await call(port, '/-/reload');
    expect([get.status, get.headers.allow]).toEqual([405, 'POST, PUT']);
    for (const path of ['/metrics', '/health', '/-/healthy', '/-/ready', '/', '/nope']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await call(port, path, { method });
        expect([path, method, res.status, res.headers.allow]).toEqual([path, method, 405, 'GET, HEAD']);
      }
    }
    expect(lifecycle.reloads).toBe(0);
  });
});
