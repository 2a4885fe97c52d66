import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS, shebangNodeFlags } from '../src/node-flags.js';
import { CLI, httpGet, runCli, startCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-cli-'));
function configFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

/**
 * promtool's lint lines for a body, less the camelCase warnings on node_netstat_* names: those
 * names are node_exporter's own (node_netstat_Tcp_RetransSegs), kept so dashboards keep working,
 * and promtool says the same of node_exporter's output.
 */
function promtoolProblems(body: string): string[] {
  let out: string;
  try {
    out = execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: body, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    out = String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '');
  }
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^node_netstat_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
}

describe('sockscope CLI', () => {
  it('names its Node flags in one place: the shebang of cli.js and pnpm start pass the same ones', () => {
    expect(shebangNodeFlags(readFileSync(CLI, 'utf8').split('\n')[0] ?? '')).toEqual([...CLI_NODE_FLAGS]);
    const start = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).scripts.start as string;
    expect(start).toContain(`node ${CLI_NODE_FLAGS.join(' ')} apps/exporter/dist/cli.js`);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    expect(() => shebangNodeFlags('#!/bin/sh')).toThrow('not a node shebang');
    expect(shebangNodeFlags('#!/usr/bin/env node')).toEqual([]);
  });

  it('prints --help and --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('sockscope check-config FILE');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^sockscope \d+\.\d+\.\d+ \(node /);
  });

  it('rejects a bad flag with one line, a suggestion and exit 2', async () => {
    const r = await runCli(['--web.listen-adress', ':1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sockscope: unknown flag --web.listen-adress (did you mean --web.listen-address?); see sockscope --help\n');
  });

  it('rejects bad flag values with one line each', async () => {
    expect((await runCli(['--log.level', 'loud'])).stderr).toBe('sockscope: --log.level loud: must be one of debug, info, warn, error\n');
    expect((await runCli(['--port', 'http'])).stderr).toBe('sockscope: --port http: must be a port number 0-65535\n');
    const badAddress = await runCli(['--web.listen-address', 'localhost']);
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toBe(
      'sockscope: --web.listen-address: invalid listen address "localhost": use host:port, :port or [ipv6]:port, e.g. :8020 or 127.0.0.1:8020\n',
    );
    expect((await runCli(['--config'])).stderr).toBe('sockscope: flag --config needs a value; see sockscope --help\n');
    expect((await runCli(['serv'])).stderr).toMatch(/^sockscope: unknown command "serv" \(did you mean "serve"\?\)/);
  });

  it('check-config prints every error at once as path: message and exits 2', async () => {
    const file = configFile(
      'bad.yaml',
      ['colectors: {}', 'collection:', '  timeout: soon', 'sinks:', '  prometheus:', '    listen_adress: ":9"', '    process_metrics: "yes"'].join('\n'),
    );
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('colectors: unknown key (did you mean "collectors"?)');
    expect(r.stderr).toContain('sinks.prometheus.listen_adress: unknown key (did you mean "listen_address"?)');
    expect(r.stderr).toContain('sinks.prometheus.process_metrics: must be boolean');
    // one line saying what a duration looks like (it was ajv's two: the pattern, and "must be number")
    expect(r.stderr).toContain('collection.timeout: must be a duration such as 500ms, 5s or 1m30s, or a number of seconds (got "soon")');
    noStack(r.stderr);
  });

  it('check-config accepts a valid file with exit 0', async () => {
    const file = configFile('good.yaml', 'sinks:\n  prometheus:\n    listen_address: "127.0.0.1:9999"\n');
    const r = await runCli(['check-config', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${file}: valid\n`);
    expect(r.code).toBe(0);
  });

  it('reports an unreadable or broken config file in one line, exit 2', async () => {
    const missing = await runCli(['--config', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`sockscope: cannot read config file ${join(dir, 'nope.yaml')}: no such file\n`);
    const broken = await runCli(['check-config', configFile('broken.yaml', 'sinks: [\n')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not valid YAML\n {2}.*broken\.yaml:\d+:\d+: /);
    noStack(broken.stderr);
  });

  it('refuses an unknown third-party plugin package by name', async () => {
    const r = await runCli(['check-config', configFile('plugin.yaml', 'plugins: [sockscope-plugin-does-not-exist]\n')]);
    expect(r.code).toBe(2);
    // a plugin that cannot be loaded is a config error under its path, listed with the others
    expect(r.stderr).toMatch(/\n {2}plugins\[0\]: plugin package "sockscope-plugin-does-not-exist" could not be loaded: /);
  });

  it('serves /metrics with a third-party plugin loaded by package name, then stops cleanly on SIGTERM', async () => {
    const file = configFile('serve.yaml', 'plugins: [sockscope-plugin-port-range]\ncollectors:\n  port-range: {}\n');
    const cli = await startCli(['--config', file], { cwd: process.cwd() });
    try {
      const metrics = await httpGet(cli.port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/sockscope_example_ephemeral_port_range\{bound="lower"\} \d+/);
      expect(metrics.body).toContain('sockscope_scrape_collector_success{collector="port-range"} 1');
      if (existsSync('/usr/bin/promtool')) expect(promtoolProblems(metrics.body)).toEqual([]);
      const health = JSON.parse((await httpGet(cli.port, '/health')).body);
      expect(health.status).toBe('ok');
    } finally {
      expect(await cli.stop('SIGTERM')).toBe(0);
    }
    expect(cli.stderr()).toContain('"msg":"shutting down","signal":"SIGTERM"');
  });

  it('runs with no config file on the embedded default: sockets, host counters, self-metrics', async () => {
    // started as an installed bin is: cli.js itself, through its shebang
    const cli = await startCli([], { direct: true });
    try {
      // "started" follows "listening" once every sink is up
      for (let i = 0; i < 100 && !cli.stderr().includes('"msg":"started"'); i++) await new Promise((r) => setTimeout(r, 20));
      const started = JSON.parse(cli.stderr().split('\n').find((l) => l.includes('"msg":"started"')) ?? '{}');
      expect(started).toMatchObject({ streaming: true, node_flags: CLI_NODE_FLAGS.join(' ') });
      const metrics = await httpGet(cli.port, '/metrics');
      expect(metrics.status).toBe(200);
      for (const family of ['sockscope_sockets{', 'node_network_receive_bytes_total{device="lo"}', 'node_netstat_Tcp_RetransSegs ', 'node_sockstat_TCP_tw ', 'sockscope_build_info{']) {
        expect(metrics.body).toContain(family);
      }
      // the CLI's own listener is found by the default socket collector
      expect(metrics.body).toMatch(new RegExp(`sockscope_tcp_listen_queue_limit\\{[^}]*local_port="${cli.port}"`));
      expect(metrics.body).toContain('sockscope_scrape_collector_success{collector="linux-procfs"} 1');
      if (existsSync('/usr/bin/promtool')) expect(promtoolProblems(metrics.body)).toEqual([]);
    } finally {
      expect(await cli.stop('SIGINT')).toBe(0);
    }
  });

  it('reads a prometheus_ss_exporter config as is and migrates it to the native format', async () => {
    const file = configFile(
      'ss.yaml',
      ['logic:', '  metrics:', '    gauges:', '      active: true', '      rtt: { active: true }', '  compression:', '    labelFolding: pid_condensed', '  selection:', '    portRanges:', '      - { lower: 80, upper: 443 }'].join('\n'),
    );
    const check = await runCli(['check-config', file]);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`${file}: valid\n`);
    const migrated = await runCli(['migrate-config', file]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain('compat: prometheus_ss_exporter');
    expect(migrated.stdout).toContain('folding: pid_condensed');
    const back = configFile('migrated.yaml', migrated.stdout);
    expect((await runCli(['check-config', back])).code).toBe(0);
    const bad = configFile('ss-bad.yaml', 'logic:\n  selection:\n    peering:\n      networks: ["10.0.0.0/33"]\n');
    const r = await runCli(['check-config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('logic.selection.peering.networks[0]: invalid CIDR network');
  });

  it('exits 1 with one line when the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const file = configFile('busy.yaml', 'plugins: [sockscope-plugin-port-range]\ncollectors:\n  port-range: {}\n');
      const r = await runCli(['--config', file, '--web.listen-address', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('sockscope:'))).toEqual([
        `sockscope: cannot listen on 127.0.0.1:${port}: the port is already in use (pick another with --web.listen-address)`,
      ]);
      noStack(r.stderr);
    } finally {
      blocker.close();
    }
  });
});
