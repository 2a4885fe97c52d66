import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PluginRegistry,
  defineCollector,
  defineSink,
  type Collector,
  type Lifecycle,
} from '@sockscope/core';
import { prometheusSink } from '@sockscope/sink-prometheus';
import { memoryLogger, testCollector } from '@sockscope/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type LoadedConfig } from '../src/agent.js';
import type { AgentConfig } from '../src/config/types.js';
import { controlledEvents, writeControlledPlugin } from './controlled-plugin.js';
import { httpGet, startCli, logEntries as entries } from './run-cli.js';


async function until<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// addresses of our own on loopback, so no other test's sockets fold into our series
const SERVER_ADDR = '127.0.0.94';
const CLIENT_ADDR = '127.0.0.95';

describe('SIGHUP reloads the config (real CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reload-'));
  const sockets: net.Socket[] = [];
  let server: net.Server | undefined;
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects a client, sends `bytes` and waits until the server has them all. */
  async function client(port: number, bytes: number, received: () => number): Promise<net.Socket> {
    const before = received();
    const c = net.connect({ port, host: SERVER_ADDR, localAddress: CLIENT_ADDR });
    await once(c, 'connect');
    sockets.push(c);
    c.write(Buffer.alloc(bytes, 1));
    await until(() => (received() >= before + bytes ? true : undefined));
    return c;
  }

  it('a valid file takes effect at the next collection, an invalid one is refused and logged, sink changes wait for a restart, per-flow counters continue while flows is unchanged', async () => {
    let received = 0;
    server = net.createServer((s) => {
      sockets.push(s);
      s.on('data', (d: Buffer) => (received += d.length));
    });
    server.listen({ port: 0, host: SERVER_ADDR });
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;

    writeControlledPlugin(dir);
    const control = join(dir, 'control');
    const file = join(dir, 'sockscope.yaml');
    const write = (text: string) => writeFileSync(file, text);
    const base = `plugins: [sockscope-plugin-controlled]\nflows: { folding: peer }\n`;
    write(`${base}collection: { min_interval: 0 }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(control)} }\n`);
    const cli = await startCli(['--config', file], { cwd: dir });
    const reloads = (msg: string) => entries(cli).filter((e) => e.msg === msg);
    const sighup = async (msg: 'config reloaded' | 'config reload refused; the running config stays') => {
      const n = reloads(msg).length;
      cli.child.kill('SIGHUP');
      return until(() => reloads(msg)[n]);
    };
    /** The client side's bytes_sent_total series towards our server (peer folding: process, dst, dst_port). */
    const bytesSent = async () => {
      const body = (await httpGet(cli.port, '/metrics')).body;
      const line = body.split('\n').find((l) => l.startsWith('sockscope_tcp_bytes_sent_total{') && l.includes(`dst="${SERVER_ADDR}"`) && l.includes(`dst_port="${port}"`));
      return { body, value: line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1)) };
    };
    try {
      // the start-up collection runs in the background and a scrape made while it runs shares it:
      // let it finish first, so the first scrape's collection starts after both clients connected
      for (let i = 0; i < 200 && (await httpGet(cli.port, '/-/ready')).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
      const c1 = await client(port, 1000, () => received);
      await client(port, 500, () => received);
      const first = await bytesSent();
      expect(first.value).toBe(1000 + 500);
      expect(first.body).toContain('sockscope_controlled_value 1');
      // the first connection goes; its series keeps what it sent
      c1.end();
      await once(c1, 'close');
      expect((await bytesSent()).value).toBe(1500);

      // flows unchanged: the metric fold is kept, counters continue; the controlled collector goes and is closed
      write(`${base}collection: { min_interval: 0, timeout: 4s }\ncollectors:\n  controlled: { enabled: false, control_file: ${JSON.stringify(control)} }\n`);
      const kept = await sighup('config reloaded');
      expect(kept).toMatchObject({ level: 'info', metric_fold: 'kept (per-flow counters continue)' });
      expect(controlledEvents(control)).toEqual(['create', 'close']);
      const afterKept = await bytesSent();
      expect(afterKept.value).toBe(1500);
      expect(afterKept.body).not.toContain('sockscope_controlled_value');
      expect(afterKept.body).not.toContain('collector="controlled"');

      // an invalid file: refused with every error, the running config stays
      write(`${base}collection: { min_interval: 0, timeout: soon }\ncolectors: {}\n`);
      const refused = await sighup('config reload refused; the running config stays');
      expect(refused.level).toBe('error');
      expect(refused.errors).toMatch(/collection\.timeout/);
      expect(refused.errors).toMatch(/colectors/);
      const afterRefused = await bytesSent();
      expect(afterRefused.value).toBe(1500);
      expect(afterRefused.body).not.toContain('sockscope_controlled_value');

      // flows changed: a new metric fold (per-flow counters restart: only the live connection's bytes);
      // a sink setting changed: logged as needing a restart, the running listener keeps serving
      write(`${base.replace('folding: peer', 'folding: peer, max_series: 5000')}collection: { min_interval: 0 }\nsinks:\n  prometheus: { metrics_path: /other }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(control)} }\n`);
      const changed = await sighup('config reloaded');
      expect(changed.metric_fold).toBe('new (flows or namespaces changed: per-flow counters restart)');
      expect(entries(cli).find((e) => e.msg === 'config reload: these settings take effect at restart; the running ones stay')).toMatchObject({ level: 'warn', settings: 'sinks.prometheus' });
      const afterChanged = await bytesSent();
      expect(afterChanged.value).toBe(500);
      expect(afterChanged.body).toContain('sockscope_controlled_value 1');
      expect((await httpGet(cli.port, '/other')).status).toBe(404);
      expect(cli.child.exitCode).toBeNull();
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe('POST /-/reload with --web.enable-lifecycle (real CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reload-post-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reloads as SIGHUP does: 400 with every error for an invalid file (the old config stays), 200 for a valid one', async () => {
    writeControlledPlugin(dir);
    const file = join(dir, 'sockscope.yaml');
    writeFileSync(file, 'collection: { min_interval: 0 }\n');
    const cli = await startCli(['--config', file, '--web.enable-lifecycle'], { cwd: dir });
    const post = async () => {
      const res = await fetch(`http://127.0.0.1:${cli.port}/-/reload`, { method: 'POST' });
      return { status: res.status, body: await res.text() };
    };
    try {
      writeFileSync(file, 'collection: { min_interval: 0, timeout: soon }\n');
      const refused = await post();
      expect(refused.status).toBe(400);
      expect(refused.body).toMatch(/^collection\.timeout: /m);
      expect((await httpGet(cli.port, '/metrics')).body).not.toContain('sockscope_controlled_value');

      writeFileSync(file, `plugins: [sockscope-plugin-controlled]\ncollection: { min_interval: 0 }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(join(dir, 'control'))} }\n`);
      expect(await post()).toMatchObject({ status: 200 });
      expect((await httpGet(cli.port, '/metrics')).body).toContain('sockscope_controlled_value 1');
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});

describe('Lifecycle.reload() given to sinks as ctx.lifecycle', () => {
  const build = { version: '0.0.0-test', nodeVersion: process.versions.node, platform: process.platform, arch: process.arch };
  const config = (collectors: AgentConfig['collectors']): AgentConfig => ({
    plugins: [],
    collection: { timeout: '5s', min_interval: 0 },
    collectors,
    enrichers: {},
    sinks: { prometheus: { listen_address: '127.0.0.1:0', process_metrics: false }, grabber: {} },
  });

  it('answers ok for a valid config and every error for an invalid one; the old collectors close only after the in-flight collection that uses them', async () => {
    const events: string[] = [];
    let release = () => {};
    const slowOld = defineCollector({
      name: 'old',
      description: 'holds a collection until released',
      platforms: ['any'],
      provides: ['families'],
      configSchema: { type: 'object' },
      create: (): Collector => ({
        stream: () =>
          new Promise((resolve) => {
            events.push('old stream');
            release = () => resolve({ families: [{ name: 'sockscope_old_value', help: 'x', type: 'gauge', samples: [{ labels: {}, value: 1 }] }] });
          }),
        close: async () => void events.push('old closed'),
      }),
    });
    let lifecycle: Lifecycle | undefined;
    const grabber = defineSink({
      name: 'grabber',
      description: 'keeps the lifecycle it is given',
      platforms: ['any'],
      configSchema: { type: 'object' },
      create: (ctx) => {
        lifecycle = ctx.lifecycle;
        return { start: async () => {}, stop: async () => {} };
      },
    });
    const registry = new PluginRegistry(process.platform);
    registry.registerAll([slowOld, testCollector('fresh'), prometheusSink, grabber]);
    const next: LoadedConfig[] = [
      { config: config({ fresh: {} }), registry, errors: [], warnings: [] },
      { config: config({}), registry, errors: ['collection.timeout: must match the duration format'], warnings: [] },
    ];
    const agent = await startAgent({ config: config({ old: {} }), registry, logger: memoryLogger(), build, loadConfig: async () => next.shift() as LoadedConfig });
    try {
      expect(lifecycle).toBeDefined();
      await until(() => (events.includes('old stream') ? true : undefined)); // the start-up collection is in flight
      const reloaded = lifecycle!.reload();
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual(['old stream']); // not closed while its collection runs
      release();
      await expect(reloaded).resolves.toEqual({ ok: true, errors: [] });
      expect(events).toEqual(['old stream', 'old closed']);
      const after = await agent.pipeline.collect();
      expect(after.families.map((f) => f.name)).toContain('sockscope_fresh_value');
      expect(after.families.map((f) => f.name)).not.toContain('sockscope_old_value');

      await expect(lifecycle!.reload()).resolves.toEqual({ ok: false, errors: ['collection.timeout: must match the duration format'] });
      expect(agent.pipeline.collectorNames()).toEqual(['fresh']);
    } finally {
      await agent.stop();
    }
    await expect(lifecycle!.reload()).resolves.toEqual({ ok: false, errors: ['the agent is stopping'] });
  });
});
