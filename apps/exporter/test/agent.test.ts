import { PluginRegistry, SockscopeError, defineCollector } from '@sockscope/core';
import { linuxProcfsSocketsCollector } from '@sockscope/collector-linux-procfs';
import { prometheusSink, type PrometheusSinkInstance } from '@sockscope/sink-prometheus';
import { memoryLogger, testCollector } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../src/agent.js';
import type { AgentConfig } from '../src/config/types.js';
import { createRenderer } from '../src/render.js';

const build = { version: '0.0.0-test', nodeVersion: process.versions.node, platform: process.platform, arch: process.arch };

function config(partial: Partial<AgentConfig>): AgentConfig {
  return {
    plugins: [],
    collection: { timeout: '5s', min_interval: 0 },
    collectors: {},
    enrichers: {},
    sinks: { prometheus: { listen_address: '127.0.0.1:0', process_metrics: false } },
    ...partial,
  };
}

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
      render: createRenderer().render,
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
    const registry = new PluginRegistry(process.platform);
    registry.register(
      defineCollector({
        name: 'seccomp-netlink',
        description: 'a socket source whose kernel interface is refused',
        platforms: ['linux'],
        provides: ['sockets'],
        defaultEnabled: true,
        fallback: 'linux-procfs-sockets',
        configSchema: { type: 'object' },
        create: () => {
          throw new SockscopeError('ERR_COLLECTOR_UNAVAILABLE', 'socket(AF_NETLINK) failed: EPERM');
        },
      }),
    );
    registry.register(linuxProcfsSocketsCollector);
    registry.register(prometheusSink);
    const logger = memoryLogger();
    const agent = await startAgent({ config: config({}), registry, logger, build, render: createRenderer().render });
    try {
      const port = (agent.sinks.get('prometheus') as unknown as PrometheusSinkInstance).address()?.port as number;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('sockscope_scrape_collector_success{collector="linux-procfs-sockets"} 1');
      // the agent's own listening socket, read from /proc/net/tcp
      expect(metrics).toMatch(new RegExp(`sockscope_tcp_listen_queue_limit\\{[^}]*local_port="${port}"`));
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
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
      startAgent({ config: config({ collectors: { broken: { enabled: false } } }), registry, logger: memoryLogger(), build, render: createRenderer().render }),
    ).rejects.toThrow(/no collector could start/);
  });
});
