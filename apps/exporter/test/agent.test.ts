import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { PluginRegistry, defineCollector, defineEnricher, type Enricher, type PluginRegistry as Registry } from '@sockscope/core';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { prometheusSink, type PrometheusSinkInstance } from '@sockscope/sink-prometheus';
import { memoryLogger, testCollector } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../src/agent.js';
import { BUILTIN_PLUGINS } from '../src/builtins.js';
import type { AgentConfig } from '../src/config/types.js';
import { build, config, refusedPrimaryRegistry } from './agent-fixtures.js';


describe('agent lifecycle', () => {
  it('finishes an in-flight scrape before stop() resolves', async () => {
    const registry = new PluginRegistry(process.platform);
    registry.register(testCollector('slow'));
    registry.register(prometheusSink);
    const agent = await startAgent({
      config: config({ collectors: { slow: { delay_ms: 400 } } }),
      registry,
      logger: memoryLogger(),
      build,
    });
    const port = (agent.sinks.get('prometheus') as unknown as PrometheusSinkInstance).address()?.port as number;
    const scrape = fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await new Promise((r) => setTimeout(r, 100));
    let stopped = false;
    const stopping = agent.stop().then(() => (stopped = true));
    const res = await scrape;
    expect(res.status).toBe(200);
    expect(res.body).toContain('sockscope_slow_value 1');
    await stopping;
    expect(stopped).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('falls back to the procfs socket source when the primary socket collector is unavailable, and says so in /health', async () => {
    const registry = refusedPrimaryRegistry('seccomp-netlink');
    const logger = memoryLogger();
    const agent = await startAgent({ config: config({}), registry, logger, build });
    try {
      const port = (agent.sinks.get('prometheus') as unknown as PrometheusSinkInstance).address()?.port as number;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('sockscope_scrape_collector_success{collector="linux-procfs-sockets"} 1');
      // the agent's own listening socket, read from /proc/net/tcp
      expect(metrics).toMatch(new RegExp(`sockscope_tcp_listen_queue_limit\\{[^}]*local_port="${port}"`));
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { notices: string[] };
      expect(health.notices).toEqual([
        'collector seccomp-netlink is unavailable (socket(AF_NETLINK) failed: EPERM); falling back to linux-procfs-sockets',
      ]);
      expect(logger.lines.filter((l) => l.includes('falling back'))).toHaveLength(1);
    } finally {
      await agent.stop();
    }
  });

  it('refuses to start without any collector that can run', async () => {
    const registry = new PluginRegistry(process.platform);
    registry.register(testCollector('broken'));
    registry.register(prometheusSink);
    await expect(
      startAgent({ config: config({ collectors: { broken: { enabled: false } } }), registry, logger: memoryLogger(), build }),
    ).rejects.toThrow(/no collector could start/);
  });
});

describe.runIf(process.platform === 'linux')('streamed collection (folded as read)', () => {
  /** The built-ins, with the netlink collector wrapped to note that the agent streams it. */
  function registryNoting(calls: string[]): Registry {
    const registry = new PluginRegistry(process.platform);
    registry.registerAll(BUILTIN_PLUGINS.filter((p) => p !== linuxNetlinkCollector));
    registry.register(
      defineCollector({
        ...linuxNetlinkCollector,
        create: async (ctx) => {
          const c = await linuxNetlinkCollector.create(ctx);
          return {
            stream: (signal, visit) => (calls.push('stream'), c.stream(signal, visit)),
            close: () => c.close(),
          };
        },
      }),
    );
    return registry;
  }

  async function scrapeWith(registry: Registry, extra: Partial<AgentConfig> = {}): Promise<{ metrics: string; notices: string[] }> {
    const agent = await startAgent({ config: config({ sinks: { prometheus: { listen_address: '127.0.0.1:0' } }, ...extra }), registry, logger: memoryLogger(), build });
    try {
      // the agent's start-up collection first, so the scrape below is a collection of its own
      await agent.firstCollection;
      const port = (agent.sinks.get('prometheus') as unknown as PrometheusSinkInstance).address()?.port as number;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { notices: string[] };
      return { metrics, notices: health.notices };
    } finally {
      await agent.stop();
    }
  }

  /** The series (names and labels, not values) that mention a port: its listener and its flows. */
  const seriesOf = (metrics: string, port: number) =>
    metrics.split('\n').filter((l) => l.includes(`port="${port}"`)).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();

  it('streams by default with the built-in enrichers and publishes the series a buffered (streaming: off) collection does', async () => {
    const server = net.createServer().listen({ port: 0, host: '127.0.0.1', backlog: 17 });
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect({ port, host: '127.0.0.1' });
    await once(client, 'connect');
    try {
      const streamedCalls: string[] = [];
      const streamed = await scrapeWith(registryNoting(streamedCalls));
      const listedCalls: string[] = [];
      const listed = await scrapeWith(registryNoting(listedCalls), { collection: { timeout: '5s', min_interval: 0, streaming: 'off' } });
      // the start-up collection, then the scrape's
      expect(streamedCalls).toEqual(['stream', 'stream']);
      // one record path: buffered collections stream too, then replay the records listeners first
      expect(listedCalls).toEqual(['stream', 'stream']);
      expect(streamed.notices).toEqual([]);
      const series = seriesOf(streamed.metrics, port);
      expect(series).toEqual(seriesOf(listed.metrics, port));
      // the listener, the accepted side (inbound on the port, owned by this process) and the client side
      expect(series).toContain(`sockscope_tcp_listen_queue_limit{local_port="${port}",process="${readComm()}"}`);
      expect(series.some((l) => l.startsWith('sockscope_tcp_rtt_seconds{direction="inbound"') && l.includes(`local_port="${port}"`))).toBe(true);
      expect(series.some((l) => l.startsWith('sockscope_tcp_rtt_seconds{direction="outbound"') && l.includes(`dst_port="${port}"`))).toBe(true);
      expect(streamed.metrics).toContain(`sockscope_tcp_listen_queue_limit{local_port="${port}",process="${readComm()}"} 17`);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('refuses an enricher written for the removed list form, says why once, and streams the rest', async () => {
    const calls: string[] = [];
    const registry = registryNoting(calls);
    registry.register(
      defineEnricher({
        name: 'tagger',
        description: 'a third-party enricher written before streaming existed',
        platforms: ['any'],
        configSchema: { type: 'object' },
        // what a plugin built against the old contract returns: a list form and no prepare()
        create: () => ({ enrich: async () => ({}), close: async () => {} }) as unknown as Enricher,
      }),
    );
    const { metrics, notices } = await scrapeWith(registry, { enrichers: { tagger: {} } });
    expect(calls).toEqual(['stream', 'stream']);
    expect(notices).toEqual([
      'enricher tagger could not start: it has no prepare(signal): enrichers take records one by one (the list form enrich(list) is gone); update the plugin',
    ]);
    expect(metrics).not.toContain('collector="enricher:tagger"');
    expect(metrics).toContain('sockscope_scrape_collector_success{collector="enricher:direction"} 1');
  });
});

function readComm(): string {
  return readFileSync('/proc/self/comm', 'utf8').trim();
}
