import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginRegistry, SockscopeError, defineCollector, defineEnricher, type Collector } from '@sockscope/core';
import { prometheusSink, type PrometheusSinkInstance } from '@sockscope/sink-prometheus';
import { memoryLogger, testCollector } from '@sockscope/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '../src/agent.js';
import { writeControlledPlugin } from './controlled-plugin.js';
import { httpGet, startCli } from './run-cli.js';
import { build, config, refusedPrimaryRegistry } from './agent-fixtures.js';


/** A logger keeping every entry with its fields. */
function recordingLogger() {
  const entries: Record<string, unknown>[] = [];
  const make = (base: Record<string, unknown>) => {
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void entries.push({ level, msg, ...base, ...fields });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f: Record<string, unknown>) => make({ ...base, ...f }) };
  };
  return Object.assign(make({}), { entries });
}

const portOf = (agent: Agent) => (agent.sinks.get('prometheus') as unknown as PrometheusSinkInstance).address()?.port as number;

interface Health {
  status: string;
  failed_collectors: string[];
  collectors: { name: string; success: boolean; error?: string }[];
  notices: string[];
}

/** A collector whose create() throws, as one whose kernel interface or config is refused at run time. */
const throwingAtCreate = (name: string, calls: string[] = []) =>
  defineCollector({
    name,
    description: 'fails at create()',
    platforms: ['any'],
    provides: ['families'],
    configSchema: { type: 'object' },
    create: (): Collector => {
      calls.push('create');
      throw new SockscopeError('ERR_PLUGIN_CREATE', 'its device is gone');
    },
  });

describe('a collector that fails at create() at run time', () => {
  it('is published as sockscope_scrape_collector_success 0 with its error in /health (degraded, naming it), every collection', async () => {
    const registry = new PluginRegistry(process.platform);
    registry.registerAll([testCollector('good'), throwingAtCreate('broken'), prometheusSink]);
    const logger = recordingLogger();
    const agent = await startAgent({ config: config({ collectors: { good: {}, broken: {} } }), registry, logger, build });
    try {
      const port = portOf(agent);
      for (let i = 0; i < 3; i++) {
        const metrics = (await httpGet(port, '/metrics')).body;
        expect(metrics).toContain('sockscope_scrape_collector_success{collector="broken"} 0');
        expect(metrics).toContain('sockscope_scrape_collector_success{collector="good"} 1');
        expect(metrics).toContain('sockscope_good_value 1');
      }
      const health = JSON.parse((await httpGet(port, '/health')).body) as Health;
      expect(health.status).toBe('degraded');
      expect(health.failed_collectors).toEqual(['broken']);
      expect(health.collectors.find((c) => c.name === 'broken')).toMatchObject({ success: false, error: 'could not start: its device is gone' });
      // a failure, not a notice; logged once, not per collection
      expect(health.notices).toEqual([]);
      expect(logger.entries.filter((e) => e.collector === 'broken')).toEqual([
        { level: 'warn', msg: 'collector could not start', collector: 'broken', err: 'its device is gone', code: 'ERR_PLUGIN_CREATE' },
      ]);
    } finally {
      await agent.stop();
    }
  });

  it("the plugin's validateConfig runs before create(): what it refuses is a start failure naming the path", async () => {
    const calls: string[] = [];
    const registry = new PluginRegistry(process.platform);
    registry.registerAll([
      testCollector('good'),
      defineCollector<{ exclude: string }>({
        name: 'regexes',
        description: 'checks its regex in validateConfig',
        platforms: ['any'],
        provides: ['families'],
        create: () => {
          calls.push('create');
          return { stream: async () => ({}), close: async () => {} };
        },
        configSchema: { type: 'object', properties: { exclude: { type: 'string', default: '' } } },
        validateConfig: (c) => {
          try {
            new RegExp(c.exclude);
            return [];
          } catch (err) {
            return [`exclude: invalid regular expression: ${(err as Error).message}`];
          }
        },
      }),
      prometheusSink,
    ]);
    const agent = await startAgent({ config: config({ collectors: { good: {}, regexes: { exclude: '(' } } }), registry, logger: memoryLogger(), build });
    try {
      const port = portOf(agent);
      expect((await httpGet(port, '/metrics')).body).toContain('sockscope_scrape_collector_success{collector="regexes"} 0');
      const health = JSON.parse((await httpGet(port, '/health')).body) as Health;
      expect(health.collectors.find((c) => c.name === 'regexes')?.error).toMatch(/^could not start: config of collector regexes is invalid: collectors\.regexes\.exclude: invalid regular expression: /);
      expect(calls).toEqual([]);
    } finally {
      await agent.stop();
    }
  });

  it("an enricher's validateConfig problem refuses that enricher, said in the notices", async () => {
    const registry = new PluginRegistry(process.platform);
    registry.registerAll([
      testCollector('good'),
      defineEnricher<{ n: number }>({
        name: 'picky',
        description: 'refuses n < 1',
        platforms: ['any'],
        configSchema: { type: 'object', properties: { n: { type: 'number', default: 0 } } },
        validateConfig: (c) => (c.n < 1 ? ['n: must be at least 1'] : []),
        create: () => ({ prepare: async () => ({ enrich: () => {}, finish: () => ({}) }), close: async () => {} }),
      }),
      prometheusSink,
    ]);
    const agent = await startAgent({ config: config({ collectors: { good: {} }, enrichers: { picky: {} } }), registry, logger: memoryLogger(), build });
    try {
      expect(agent.notices()).toEqual(['enricher picky could not start: config of enricher picky is invalid: enrichers.picky.n: must be at least 1']);
    } finally {
      await agent.stop();
    }
  });

  it('a collector that fell back to another is a notice, not a failure: its fallback publishes and no success 0 is published for it', async () => {
    const registry = refusedPrimaryRegistry('refused-netlink');
    const agent = await startAgent({ config: config({}), registry, logger: memoryLogger(), build });
    try {
      const port = portOf(agent);
      const metrics = (await httpGet(port, '/metrics')).body;
      expect(metrics).toContain('sockscope_scrape_collector_success{collector="linux-procfs-sockets"} 1');
      expect(metrics).not.toContain('collector="refused-netlink"');
      const health = JSON.parse((await httpGet(port, '/health')).body) as Health;
      expect(health.status).toBe('ok');
      expect(health.notices).toEqual(['collector refused-netlink is unavailable (socket(AF_NETLINK) failed: EPERM); falling back to linux-procfs-sockets']);
    } finally {
      await agent.stop();
    }
  });
});

describe('a collector that fails at create() under the real CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'start-failure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes success 0 for it, /health says degraded and names it, and the agent keeps serving', async () => {
    writeControlledPlugin(dir);
    const control = join(dir, 'control');
    writeFileSync(control, 'create-fail');
    const file = join(dir, 'sockscope.yaml');
    writeFileSync(file, `plugins: [sockscope-plugin-controlled]\ncollection: { min_interval: 0 }\ncollectors:\n  controlled: { control_file: ${JSON.stringify(control)} }\n`);
    const cli = await startCli(['--config', file], { cwd: dir });
    try {
      for (let i = 0; i < 2; i++) {
        const metrics = await httpGet(cli.port, '/metrics');
        expect(metrics.status).toBe(200);
        expect(metrics.body).toContain('sockscope_scrape_collector_success{collector="controlled"} 0');
      }
      const health = JSON.parse((await httpGet(cli.port, '/health')).body) as Health;
      expect(health.status).toBe('degraded');
      expect(health.failed_collectors).toContain('controlled');
      expect(health.collectors.find((c) => c.name === 'controlled')?.error).toBe('could not start: the control file says create() fails');
      const logged = cli.stderr().split('\n').filter((l) => l.includes('"collector":"controlled"'));
      expect(logged).toHaveLength(1);
      expect(JSON.parse(logged[0] as string)).toMatchObject({ level: 'warn', msg: 'collector could not start', err: 'the control file says create() fails' });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });
});
