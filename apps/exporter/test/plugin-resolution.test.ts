import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { httpGet, runCli, startCli } from './run-cli.js';

const CORE = fileURLToPath(new URL('../../../packages/core', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sockscope-plugins-'));

/** A directory under the test's temporary root. */
function dirOf(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/**
 * Installs a third-party collector package into `<base>/node_modules/<pkg>` exporting a collector
 * named `name`, with `@sockscope/core` beside it unless `withCore` is false.
 */
function installPlugin(base: string, pkg: string, name: string, withCore = true): void {
  const dir = join(base, 'node_modules', pkg);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg, version: '1.0.0', type: 'module', exports: { '.': { import: './index.js' } } }));
  writeFileSync(
    join(dir, 'index.js'),
    `import { defineCollector } from '@sockscope/core';
export default defineCollector({
  name: '${name}',
  description: 'test plugin installed in ${base}',
  platforms: ['any'],
  provides: ['families'],
  configSchema: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', default: 1 } } },
  validateConfig: (c) => (c.limit > 9 ? ['limit: must be at most 9, the plugin keeps one digit'] : []),
  create: () => ({
    async stream() {
      return { families: [{ name: 'sockscope_test_plugin_info', help: 'Which test plugin answered.', type: 'gauge', samples: [{ labels: { plugin: '${name}' }, value: 1 }] }] };
    },
    async close() {},
  }),
});
`,
  );
  const core = join(base, 'node_modules', '@sockscope', 'core');
  if (withCore && !existsSync(core)) {
    mkdirSync(join(base, 'node_modules', '@sockscope'), { recursive: true });
    symlinkSync(CORE, core);
  }
}

function config(dir: string, text: string): string {
  const p = join(dir, 'sockscope.yaml');
  writeFileSync(p, text);
  return p;
}

/** The `sockscope plugins` row of a plugin, split into its columns. */
function row(stdout: string, name: string): string[] | undefined {
  return stdout
    .split('\n')
    .map((l) => l.split(/\s{2,}/))
    .find((cols) => cols[1] === name);
}

describe('third-party plugins', () => {
  const configDir = dirOf('etc-sockscope');
  const workDir = dirOf('work');
  installPlugin(configDir, 'sockscope-plugin-where', 'where-config-dir');
  installPlugin(workDir, 'sockscope-plugin-where', 'where-working-dir');
  installPlugin(workDir, 'sockscope-plugin-only-in-cwd', 'only-in-cwd');

  it("resolve from the config file's directory first, then the working directory, then sockscope's own", async () => {
    const file = config(configDir, 'plugins: [sockscope-plugin-where, sockscope-plugin-only-in-cwd, sockscope-plugin-port-range]\n');
    const r = await runCli(['plugins', '--config', file], { cwd: workDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(row(r.stdout, 'where-config-dir')).toEqual(['collector', 'where-config-dir', 'any', 'on', 'package sockscope-plugin-where', `test plugin installed in ${configDir}`]);
    expect(row(r.stdout, 'where-working-dir')).toBeUndefined();
    expect(row(r.stdout, 'only-in-cwd')?.[3]).toBe('on');
    // found in neither directory: sockscope's own node_modules
    expect(row(r.stdout, 'port-range')?.slice(0, 5)).toEqual(['collector', 'port-range', 'linux', 'on', 'package sockscope-plugin-port-range']);
  });

  it('plugins: [name] turns on every plugin the package exports, unless the config says enabled: false', async () => {
    // no collectors entry: listing the package is enough (it used to load and do nothing)
    const file = config(dirOf('enable'), 'plugins: [sockscope-plugin-port-range]\n');
    const cli = await startCli(['--config', file]);
    try {
      const { body } = await httpGet(cli.port, '/metrics');
      expect(body).toMatch(/sockscope_example_ephemeral_port_range\{bound="lower"\} \d+/);
      expect(body).toContain('sockscope_scrape_collector_success{collector="port-range"} 1');
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    const off = config(dirOf('enable-off'), 'plugins: [sockscope-plugin-port-range]\ncollectors:\n  port-range: { enabled: false }\n');
    const listed = await runCli(['plugins', '--config', off]);
    expect(row(listed.stdout, 'port-range')?.[3]).toBe('off');
    // and a flag wins over both
    expect(row((await runCli(['plugins', '--config', off, '--collector.port-range'])).stdout, 'port-range')?.[3]).toBe('on');
  });

  it("run the plugin's validateConfig in check-config, under its section's path", async () => {
    const file = config(configDir, 'plugins: [sockscope-plugin-where]\ncollectors:\n  where-config-dir: { limit: 12 }\n');
    const r = await runCli(['check-config', file], { cwd: workDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('  collectors.where-config-dir.limit: must be at most 9, the plugin keeps one digit\n');
    const off = config(dirOf('validate-off'), 'plugins: [sockscope-plugin-only-in-cwd]\ncollectors:\n  only-in-cwd: { enabled: false, limit: 12 }\n');
    expect((await runCli(['check-config', off], { cwd: workDir })).code).toBe(0);
  });

  it('a plugin found without its @sockscope/core: the error says where it looked and what to install', async () => {
    const base = dirOf('no-core');
    installPlugin(base, 'sockscope-plugin-no-core', 'no-core', false);
    const file = config(base, 'plugins: [sockscope-plugin-no-core]\n');
    const r = await runCli(['check-config', file], { cwd: base });
    expect(r.code).toBe(2);
    const pkg = join(base, 'node_modules', 'sockscope-plugin-no-core');
    expect(r.stderr).toContain(
      `  plugins[0]: plugin package "sockscope-plugin-no-core" was found at ${pkg}, but the @sockscope/core it imports was not: searched node_modules from ${pkg} up to /; install it beside the plugin: cd ${base} && npm install @sockscope/core\n`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a plugin package found nowhere: the error names every directory searched and what to run', async () => {
    const base = dirOf('nowhere');
    const file = config(base, 'plugins: [sockscope-plugin-nowhere]\n');
    const r = await runCli(['check-config', file], { cwd: workDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`plugins[0]: plugin package "sockscope-plugin-nowhere" could not be loaded: not found in node_modules in ${base} (the config file), then ${workDir} (the working directory), then `);
    expect(r.stderr).toContain(`(sockscope), each with its parent directories; install it beside the config file: cd ${base} && npm install sockscope-plugin-nowhere\n`);
  });

  it('sockscope plugins lists the built-ins with kind, platforms, state under the flags and description; --help names it', async () => {
    const r = await runCli(['plugins', '--no-collector.linux-procfs']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^KIND\s+NAME\s+PLATFORMS\s+STATE\s+FROM\s+DESCRIPTION$/);
    expect(row(r.stdout, 'linux-netlink')?.slice(0, 5)).toEqual(['collector', 'linux-netlink', 'linux', 'on', 'built-in']);
    expect(row(r.stdout, 'linux-procfs')?.[3]).toBe('off');
    expect(row(r.stdout, 'linux-procfs-sockets')?.[3]).toBe('fallback');
    expect(row(r.stdout, 'freebsd-sysctl')?.slice(2, 4)).toEqual(['freebsd', 'off']);
    expect(row(r.stdout, 'process')?.[0]).toBe('enricher');
    expect(row(r.stdout, 'prometheus')?.slice(0, 4)).toEqual(['sink', 'prometheus', 'any', 'on']);
    expect(row(r.stdout, 'otlp')?.[3]).toBe('off');
    expect(row((await runCli(['plugins'], { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } })).stdout, 'otlp')?.[3]).toBe('on');
    expect((await runCli(['--help'])).stdout).toMatch(/sockscope plugins .*list built-in and loaded plugins/);
  });
});
