import { createPluginContext, type RenderedSnapshot } from '@sockscope/core';
import { controlledPipeline, renderedSnapshot } from '@sockscope/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prometheusSink } from '../src/plugin.js';
import { call } from './http.js';
import { corePipeline, selfMetricsWithRuntime, sinkContext, startSink, stopAll } from './harness.js';

afterEach(stopAll);

const valueLines = (text: string) => text.split('\n').filter((l) => /^sockscope_\w+_value /.test(l));
const successLines = (text: string) => text.split('\n').filter((l) => l.startsWith('sockscope_scrape_collector_success'));

describe('collect[] and exclude[] on /metrics (node_exporter scrape parameters)', () => {
  const startOn = (pipeline: Parameters<typeof sinkContext>[1]) => startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline));
  const start = async () => {
    const core = corePipeline({ 'linux-procfs': { value: 1 }, 'linux-netlink': { value: 2 }, extra: { value: 3 } });
    const { port } = await startOn(core.pipeline);
    return { port, collectors: core.collectors };
  };

  it('runs only the collectors collect[] names, in a collection of their own', async () => {
    const { port, collectors } = await start();
    const res = await call(port, '/metrics?collect[]=linux-procfs&collect[]=linux-netlink');
    expect(res.status).toBe(200);
    expect(valueLines(res.text)).toEqual(['sockscope_linux_procfs_value 1', 'sockscope_linux_netlink_value 2']);
    expect(successLines(res.text).map((l) => l.split(' ')[0])).toEqual([
      'sockscope_scrape_collector_success{collector="linux-procfs"}',
      'sockscope_scrape_collector_success{collector="linux-netlink"}',
    ]);
    expect([collectors['linux-procfs']?.calls, collectors['linux-netlink']?.calls, collectors.extra?.calls]).toEqual([1, 1, 0]);
    // percent-encoded brackets, as a browser or Prometheus' params sends them, are the same parameter
    const encoded = await call(port, '/metrics?collect%5B%5D=extra');
    expect(valueLines(encoded.text)).toEqual(['sockscope_extra_value 3']);
    // without the parameter every collector runs
    expect(valueLines((await call(port, '/metrics')).text)).toHaveLength(3);
  });

  it('answers 400 naming the running collectors when collect[] names one the agent does not run', async () => {
    const { port, collectors } = await start();
    const res = await call(port, '/metrics?collect[]=linux-procfs&collect[]=linux-procsf');
    expect(res.status).toBe(400);
    expect(res.text).toBe('collect[]: no collector "linux-procsf" in this agent; running: linux-procfs, linux-netlink, extra\n');
    expect(collectors['linux-procfs']?.calls).toBe(0);
  });

  it('leaves out the collectors exclude[] names, refuses an unknown one and a mix with collect[]', async () => {
    const { port, collectors } = await start();
    const res = await call(port, '/metrics?exclude[]=extra');
    expect(valueLines(res.text)).toEqual(['sockscope_linux_procfs_value 1', 'sockscope_linux_netlink_value 2']);
    expect(collectors.extra?.calls).toBe(0);
    const unknown = await call(port, '/metrics?exclude[]=nope');
    expect([unknown.status, unknown.text]).toEqual([400, 'exclude[]: no collector "nope" in this agent; running: linux-procfs, linux-netlink, extra\n']);
    const both = await call(port, '/metrics?collect[]=extra&exclude[]=linux-procfs');
    expect([both.status, both.text]).toEqual([400, 'collect[] and exclude[] cannot be combined: name the collectors to run, or the ones to leave out\n']);
  });

  it('hands collect[] to the pipeline as the collectors of the request, without duplicates', async () => {
    const pipeline = controlledPipeline(async () => renderedSnapshot(), { collectorNames: ['a', 'b'] });
    const { port } = await startOn(pipeline);
    await call(port, '/metrics?collect[]=b&collect[]=b');
    await call(port, '/metrics');
    expect(pipeline.requests).toEqual([{ collectors: ['b'] }, undefined]);
  });
});

describe('max_requests (--web.max-requests)', () => {
  it('defaults to 40, as node_exporter, and takes 0 for no limit', () => {
    expect(createPluginContext(prometheusSink, {}).config.max_requests).toBe(40);
    expect(createPluginContext(prometheusSink, { max_requests: 0 }).config.max_requests).toBe(0);
    expect(() => createPluginContext(prometheusSink, { max_requests: -1 })).toThrow(/invalid/);
    expect(() => createPluginContext(prometheusSink, { max_requests: 1.5 })).toThrow(/invalid/);
  });

  it('serves that many scrapes at once and answers one more 503 with the reason; the slot frees when a scrape ends', async () => {
    const releases: (() => void)[] = [];
    const pipeline = controlledPipeline(() => new Promise<RenderedSnapshot>((resolve) => releases.push(() => resolve(renderedSnapshot()))));
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false, max_requests: 2 }, pipeline));
    const first = [call(port, '/metrics'), call(port, '/metrics')];
    await vi.waitFor(() => expect(pipeline.collects).toBe(2));
    const over = await call(port, '/metrics');
    expect(over.status).toBe(503);
    expect(over.text).toBe('too many concurrent scrapes: 2 are being served, the limit is 2 (max_requests, --web.max-requests); try again later\n');
    expect(pipeline.collects).toBe(2);
    // the limit is on scrapes only: the probes still answer
    expect((await call(port, '/-/healthy')).status).toBe(200);
    expect((await call(port, '/health')).status).toBe(200);
    for (const release of releases.splice(0)) release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    pipeline.answer(async () => renderedSnapshot());
    expect((await call(port, '/metrics')).status).toBe(200);
  });

  it('serves any number at once with 0', async () => {
    const releases: (() => void)[] = [];
    const pipeline = controlledPipeline(() => new Promise<RenderedSnapshot>((resolve) => releases.push(() => resolve(renderedSnapshot()))));
    const { port } = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false, max_requests: 0 }, pipeline));
    const all = Array.from({ length: 45 }, () => call(port, '/metrics'));
    await vi.waitFor(() => expect(pipeline.collects).toBe(45));
    for (const release of releases.splice(0)) release();
    expect((await Promise.all(all)).every((r) => r.status === 200)).toBe(true);
  });
});

// (issue 14) process_metrics is read by the agent, which provides process_* and nodejs_* as self
// metrics only when it is on (apps/exporter/test/node-exporter-flags.test.ts runs the flag live);
// the sink writes what core rendered, and its build info either way.
describe('process_metrics: false (--web.disable-exporter-metrics)', () => {
  it("drops process_* and nodejs_* and keeps sockscope_build_info, as node_exporter keeps its build info", async () => {
    const { pipeline } = corePipeline({ demo: {} });
    const off = await startSink(sinkContext({ listen_address: '127.0.0.1:0', process_metrics: false }, pipeline));
    const text = (await call(off.port, '/metrics')).text;
    expect(text.split('\n').filter((l) => /^(# (HELP|TYPE) )?(process_|nodejs_)/.test(l))).toEqual([]);
    expect(text).toMatch(/^sockscope_build_info\{version="0\.1\.0-test",revision="[^"]+",nodeversion="[^"]+",platform="[^"]+",arch="[^"]+"\} 1$/m);
    const on = await startSink(sinkContext({ listen_address: '127.0.0.1:0' }, corePipeline({ demo: {} }, [], selfMetricsWithRuntime()).pipeline));
    const full = (await call(on.port, '/metrics')).text;
    expect(full).toContain('# TYPE process_cpu_user_seconds_total counter\n');
    expect(full).toContain('# TYPE nodejs_heap_size_used_bytes gauge\n');
    expect(full).toMatch(/^sockscope_build_info\{/m);
  });
});
