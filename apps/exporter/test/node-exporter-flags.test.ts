import { mkdtempSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/args.js';
import { builtinRegistry } from '../src/builtins.js';
import { applyConfigFlags } from '../src/config/flags.js';
import { httpGet, runCli, startCli, type RunningCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-flags-'));
function configFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The config the flags make of a file's contents (flags applied as loadConfig does, before validation). */
function withFlags(argv: string[], file: Record<string, unknown> = {}): Record<string, any> {
  const config = structuredClone(file);
  applyConfigFlags(config, parseArgs(argv), builtinRegistry('linux'));
  return config;
}

async function stopped(cli: RunningCli): Promise<void> {
  expect(await cli.stop('SIGTERM')).toBe(0);
}

async function startedLine(cli: RunningCli): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200 && !cli.stderr().includes('"msg":"started"'); i++) await new Promise((r) => setTimeout(r, 20));
  return JSON.parse(cli.stderr().split('\n').find((l) => l.includes('"msg":"started"')) ?? '{}') as Record<string, unknown>;
}

describe("node_exporter's flags, which operators type by habit", () => {
  it('map onto the config keys, over what the file says', () => {
    const file = { sinks: { prometheus: { metrics_path: '/from-file', max_requests: 5, listen_address: '127.0.0.1:9100' } } };
    expect(withFlags(['--web.telemetry-path', '/node', '--web.disable-exporter-metrics', '--web.max-requests', '7', '--web.enable-lifecycle', '--port', '9200'], file).sinks.prometheus).toEqual({
      metrics_path: '/node',
      process_metrics: false,
      max_requests: 7,
      enable_lifecycle: true,
      listen_address: '127.0.0.1:9200',
    });
    expect(withFlags(['--web.max-requests=0']).sinks.prometheus).toEqual({ max_requests: 0 });
    // without the flags the file is left as it is
    expect(withFlags([], file)).toEqual(file);
  });

  it('--collector.NAME / --no-collector.NAME switch a collector, the last one given winning', () => {
    expect(withFlags(['--no-collector.linux-netlink']).collectors).toEqual({ 'linux-netlink': { enabled: false } });
    expect(withFlags(['--no-collector.linux-netlink', '--collector.linux-netlink']).collectors).toEqual({ 'linux-netlink': { enabled: true } });
    const file = { collectors: { 'linux-procfs': { enabled: false, netstat_fields: 'all' } } };
    expect(withFlags(['--collector.linux-procfs'], file).collectors['linux-procfs']).toEqual({ enabled: true, netstat_fields: 'all' });
  });

  it('--collector.disable-defaults runs only the collectors named by flag or configured in the file', () => {
    const file = { collectors: { 'linux-procfs': { netstat_fields: 'all' } } };
    expect(withFlags(['--collector.disable-defaults'], file).collectors).toEqual({
      'linux-procfs': { netstat_fields: 'all' },
      'linux-netlink': { enabled: false },
      'linux-procfs-sockets': { enabled: false },
      'freebsd-sysctl': { enabled: false },
    });
    expect(withFlags(['--collector.disable-defaults', '--collector.linux-netlink']).collectors).toEqual({
      'linux-netlink': { enabled: true },
      'linux-procfs': { enabled: false },
      'linux-procfs-sockets': { enabled: false },
      'freebsd-sysctl': { enabled: false },
    });
  });

  it('--path.rootfs prefixes the procfs and sysfs paths (configured or default) of every plugin reading them; --path.procfs/--path.sysfs win', () => {
    const c = withFlags(['--path.rootfs', '/host'], { collectors: { 'linux-procfs': { sysfs_path: '/sys2' } } });
    expect(c.collectors['linux-procfs']).toEqual({ procfs_path: '/host/proc', sysfs_path: '/host/sys2' });
    // the fallback socket source stays off, and reads the host's /proc when it takes over
    expect(c.collectors['linux-procfs-sockets']).toEqual({ enabled: false, procfs_path: '/host/proc' });
    expect(c.enrichers).toEqual({ process: { procfs_path: '/host/proc' }, container: { procfs_path: '/host/proc' } });
    const explicit = withFlags(['--path.rootfs', '/host', '--path.procfs', '/custom/proc']);
    expect(explicit.collectors['linux-procfs']).toEqual({ procfs_path: '/custom/proc', sysfs_path: '/host/sys' });
    expect(withFlags(['--path.sysfs', '/s']).collectors['linux-procfs']).toEqual({ sysfs_path: '/s' });
    // a plugin with neither key gets no entry
    expect(withFlags(['--path.rootfs', '/host']).collectors['linux-netlink']).toBeUndefined();
  });

  it('-v is --version, and --help groups the flags as node_exporter does, listing every collector', async () => {
    const v = await runCli(['-v']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^sockscope \d+\.\d+\.\d+ \(node /);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    const out = help.stdout;
    const at = (s: string) => {
      const i = out.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('\nWeb:\n')).toBeLessThan(at('\nCollectors'));
    expect(at('\nCollectors')).toBeLessThan(at('\nPaths:\n'));
    expect(at('\nPaths:\n')).toBeLessThan(at('\nLogging:\n'));
    for (const flag of ['--web.telemetry-path', '--web.disable-exporter-metrics', '--web.max-requests', '--web.enable-lifecycle', '--collector.disable-defaults', '--path.procfs', '--path.sysfs', '--path.rootfs', '-v, --version']) at(flag);
    for (const def of builtinRegistry('linux').list('collector')) {
      expect(out).toMatch(new RegExp(`--\\[no-\\]collector\\.${def.name}\\s+${def.description.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\((default: on|default: off[^)]*|runs on [a-z, ]+)\\)`));
    }
    expect(out).toContain('--[no-]collector.linux-procfs');
    expect(out).toMatch(/collector\.linux-netlink\s+.*\(default: on\)/);
    expect(out).toMatch(/collector\.linux-procfs-sockets\s+.*\(default: off, takes over when linux-netlink cannot start\)/);
    expect(out).toContain('sockscope plugins');
  });

  it('refuse a collector no plugin has, with a did-you-mean, and bad values, in one line with exit 2', async () => {
    const typo = await runCli(['check-config', configFile('ok.yaml', 'collection: { timeout: 5s }\n'), '--no-collector.linux-netlnk']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      'sockscope: --collector.linux-netlnk: no collector named "linux-netlnk" (did you mean --collector.linux-netlink?); collectors: linux-netlink, linux-procfs, linux-procfs-sockets, freebsd-sysctl\n',
    );
    const serve = await runCli(['--collector.netdev']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain("(did you mean --collector.linux-procfs?: linux-procfs publishes node_exporter's netdev families)");
    expect((await runCli(['--collector.process'])).stderr).toContain('"process" is an enricher, not a collector');
    expect((await runCli(['--web.max-requests', 'many'])).stderr).toBe('sockscope: --web.max-requests many: must be a whole number of concurrent scrapes, 0 for no limit\n');
    expect((await runCli(['--web.telemetry-path', 'metrics'])).stderr).toBe('sockscope: --web.telemetry-path metrics: must be a URL path starting with /, e.g. /metrics\n');
    expect((await runCli(['--collector.linux-procfs=false'])).stderr).toMatch(/^sockscope: --collector\.linux-procfs takes no value/);
    expect((await runCli(['--web.telemetry-pth', '/x'])).stderr).toContain('(did you mean --web.telemetry-path?)');
  });

  it('against a live agent: telemetry path moved over the file, exporter metrics gone, a collector switched off, version in the started line', async () => {
    const file = configFile('web.yaml', 'sinks:\n  prometheus:\n    metrics_path: /from-file\n');
    const cli = await startCli(['--config', file, '--web.telemetry-path', '/node-metrics', '--web.disable-exporter-metrics', '--no-collector.linux-netlink']);
    try {
      const started = await startedLine(cli);
      expect(started.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(started.collectors).toBe('linux-procfs');
      const metrics = await httpGet(cli.port, '/node-metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('node_network_receive_bytes_total{device="lo"}');
      expect(metrics.body).toContain('sockscope_scrape_collector_success{collector="linux-procfs"} 1');
      expect(metrics.body).not.toContain('collector="linux-netlink"');
      expect(metrics.body).not.toMatch(/^(process|nodejs)_/m);
      expect((await httpGet(cli.port, '/from-file')).status).toBe(404);
      expect((await httpGet(cli.port, '/metrics')).status).toBe(404);
    } finally {
      await stopped(cli);
    }
  });

  it('against a live agent: --collector.disable-defaults with --collector.linux-netlink runs the socket collector alone', async () => {
    const cli = await startCli(['--collector.disable-defaults', '--collector.linux-netlink']);
    try {
      expect((await startedLine(cli)).collectors).toBe('linux-netlink');
      const { body } = await httpGet(cli.port, '/metrics');
      expect(body).toContain('sockscope_scrape_collector_success{collector="linux-netlink"} 1');
      // the agent's own listener, found by the only collector
      expect(body).toMatch(new RegExp(`sockscope_tcp_listen_queue_limit\\{[^}]*local_port="${cli.port}"`));
      expect(body).not.toContain('collector="linux-procfs"');
      expect(body).not.toContain('node_network_receive_bytes_total');
    } finally {
      await stopped(cli);
    }
  });

  it('against a live agent: --path.rootfs reads the host from a mounted root, and reads nothing from an empty one', async () => {
    const root = join(dir, 'host-root');
    mkdirSync(root);
    symlinkSync('/proc', join(root, 'proc'));
    symlinkSync('/sys', join(root, 'sys'));
    const mounted = await startCli(['--path.rootfs', root]);
    try {
      const { body } = await httpGet(mounted.port, '/metrics');
      expect(body).toContain('node_network_receive_bytes_total{device="lo"}');
      expect(body).toContain('node_netstat_Tcp_RetransSegs ');
      expect(body).toContain('sockscope_scrape_collector_success{collector="enricher:process"} 1');
    } finally {
      await stopped(mounted);
    }
    const empty = join(dir, 'empty-root');
    mkdirSync(empty);
    const cli = await startCli(['--path.rootfs', empty]);
    try {
      const { body } = await httpGet(cli.port, '/metrics');
      expect(body).not.toContain('node_network_receive_bytes_total');
      expect(body).not.toContain('node_netstat_Tcp_RetransSegs ');
      // the process enricher looked under the rootfs too, and says where
      expect((await httpGet(cli.port, '/health')).body).toContain(`${empty}/proc`);
    } finally {
      await stopped(cli);
    }
  });
});
