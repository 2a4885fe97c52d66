import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginRegistry, defineCollector, defineSink } from '@sockscope/core';
import { describe, expect, it } from 'vitest';
import { pluginConfigErrors } from '../src/config/load.js';
import type { AgentConfig } from '../src/config/types.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-regex-'));
function configFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const agentConfig = (parts: Partial<AgentConfig>): AgentConfig => ({ plugins: [], collection: { timeout: '5s', min_interval: '1s' }, collectors: {}, enrichers: {}, sinks: {}, ...parts });

describe('an invalid regex passes check-config and kills the host collector (issue 14)', () => {
  it("check-config refuses collectors.linux-procfs.interfaces.exclude: '(' with its path, exit 2", async () => {
    const file = configFile('exclude.yaml', "collectors:\n  linux-procfs:\n    interfaces:\n      exclude: '('\n");
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${file}: 1 error\n  collectors.linux-procfs.interfaces.exclude: invalid regular expression: /(/: Unterminated group\n`);
  });

  it('the agent refuses to start on it (exit 2, the same line) instead of running without the host collector', async () => {
    const file = configFile('serve.yaml', "collectors:\n  linux-procfs:\n    netstat_fields: '+Tcp'\n");
    const r = await runCli(['--config', file, '--web.listen-address', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sockscope: config ${file} has 1 error\n  collectors.linux-procfs.netstat_fields: invalid regular expression: /+Tcp/: Nothing to repeat\n`);
  });

  it('a disabled host collector is not checked; netstat_fields: all is no regex', async () => {
    expect((await runCli(['check-config', configFile('off.yaml', "collectors:\n  linux-procfs:\n    enabled: false\n    interfaces: { include: '(' }\n")])).code).toBe(0);
    expect((await runCli(['check-config', configFile('all.yaml', 'collectors:\n  linux-procfs:\n    netstat_fields: all\n')])).code).toBe(0);
  });

  it("validateConfig runs for every enabled plugin on its config with the schema's defaults, its lines under the section's path", () => {
    const seen: unknown[] = [];
    const schema = { type: 'object', additionalProperties: false, properties: { pattern: { type: 'string', default: '[' } } } as const;
    const collector = (name: string, extra: Record<string, unknown> = {}) =>
      defineCollector({
        name,
        description: 'test',
        platforms: ['any'],
        provides: ['families'],
        configSchema: schema,
        validateConfig: (c: { pattern: string }) => {
          seen.push({ name, ...c });
          return c.pattern === '[' ? ['pattern: does not compile'] : [];
        },
        create: () => ({ stream: async () => ({}), close: async () => {} }),
        ...extra,
      });
    const registry = new PluginRegistry('linux');
    registry.registerAll([
      collector('by-default', { defaultEnabled: true }),
      collector('configured'),
      collector('switched-off', { defaultEnabled: true }),
      collector('not-configured'),
      collector('wrong-platform', { platforms: ['freebsd'], defaultEnabled: true }),
      collector('throws', { validateConfig: () => { throw new Error('boom'); } }),
    ]);
    registry.register(defineSink({ name: 'by-env', description: 'test', platforms: ['any'], configSchema: schema, validateConfig: () => ['pattern: checked'], create: () => ({ start: async () => {}, stop: async () => {} }) }));
    const config = agentConfig({ collectors: { configured: { pattern: 'ok' }, 'switched-off': { enabled: false }, throws: {} } });
    expect(pluginConfigErrors(config, registry, new Set(['by-env']))).toEqual([
      'collectors.by-default.pattern: does not compile',
      'collectors.throws: the plugin\'s validateConfig threw: boom',
      'sinks.by-env.pattern: checked',
    ]);
    expect(seen).toEqual([
      { name: 'by-default', pattern: '[' },
      { name: 'configured', pattern: 'ok' },
    ]);
  });
});
