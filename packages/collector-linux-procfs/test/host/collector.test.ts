import { execFileSync } from 'node:child_process';
import { compileConfigSchema, createPluginContext, isSockscopeError, renderHostFamilies, type HostStats, type Warning } from '@sockscope/core';
import { describeCollectorConformance } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { NODE_EXPORTER_NETSTAT_FIELDS, type HostCollectorConfig } from '../../src/config.js';
import { linuxProcfsHostCollector } from '../../src/plugins/linux-procfs.js';
import { FIXTURES } from './fixtures.js';

/** A config as a user writes it; the schema fills in the rest. */
type UserConfig = Partial<HostCollectorConfig>;
const context = (config: UserConfig) => createPluginContext(linuxProcfsHostCollector, config);
const real: UserConfig = { procfs_path: `${FIXTURES}real/proc`, sysfs_path: `${FIXTURES}real/sys` };

describeCollectorConformance<HostCollectorConfig>({
  definition: linuxProcfsHostCollector,
  config: context({}).config,
  live: process.platform === 'linux',
  brokenConfig: context({ procfs_path: `${FIXTURES}broken/proc`, sysfs_path: `${FIXTURES}real/sys` }).config,
});

async function collect(config: UserConfig): Promise<{ host: HostStats; warnings: Warning[] }> {
  const c = await linuxProcfsHostCollector.create(context(config));
  try {
    let visits = 0;
    const r = await c.stream(new AbortController().signal, () => void visits++);
    expect(visits).toBe(0); // a host collector streams no sockets
    return { host: r.host ?? {}, warnings: r.warnings ?? [] };
  } finally {
    await c.close();
  }
}

describe('linux-procfs host collector on the captured fixture tree', () => {
  it('fills every part of HostStats without warnings', async () => {
    const { host, warnings } = await collect(real);
    expect(warnings).toEqual([]);
    expect(host.interfaces?.map((i) => i.device)).toEqual(['eth0', 'ifb0', 'ifb1', 'lo']);
    const eth0 = host.interfaces?.find((i) => i.device === 'eth0');
    expect(eth0?.counters).toMatchObject({ receive_bytes: 232120363, receive_nohandler: 0 });
    expect(eth0?.info).toMatchObject({ operstate: 'up', mtu: 1400 });
    // ifb1 is in /proc/net/dev but its sysfs directory was not captured: counters, no facts.
    expect(host.interfaces?.find((i) => i.device === 'ifb1')?.info).toBeUndefined();
    expect(host.conntrack).toMatchObject({ entries: 0, limit: 262144 });
    expect(host.softnet).toHaveLength(2);
    expect(host.sockstat?.TCP6).toEqual({ inuse: 0 });
  });

  it('keeps only node_exporter\'s default netstat fields unless told "all"', async () => {
    const { host } = await collect(real);
    const keys = Object.entries(host.protocols ?? {}).flatMap(([p, row]) => Object.keys(row).map((f) => `${p}_${f}`));
    const pattern = new RegExp(NODE_EXPORTER_NETSTAT_FIELDS);
    expect(keys.every((k) => pattern.test(k))).toBe(true);
    expect(keys).toEqual(expect.arrayContaining(['Tcp_RetransSegs', 'TcpExt_ListenOverflows', 'Ip6_InOctets', 'Udp6_NoPorts', 'Ip_Forwarding']));
    expect(keys).not.toContain('Tcp_MaxConn');
    const all = await collect({ ...real, netstat_fields: 'all' });
    expect(all.host.protocols?.Tcp?.MaxConn).toBe(-1);
    expect(Object.keys(all.host.protocols?.MPTcpExt ?? {}).length).toBeGreaterThan(10);
    const custom = await collect({ ...real, netstat_fields: '^Tcp_' });
    expect(Object.keys(custom.host.protocols ?? {}).filter((p) => Object.keys(custom.host.protocols?.[p] ?? {}).length > 0)).toEqual(['Tcp']);
  });

  it('applies interface include and exclude to /proc/net/dev and sysfs alike', async () => {
    const ex = await collect({ ...real, interfaces: { exclude: '^(lo|veth.*|br-.*|docker.*)$' } });
    expect(ex.host.interfaces?.map((i) => i.device)).toEqual(['eth0', 'ifb0', 'ifb1']);
    const inc = await collect({ ...real, interfaces: { include: '^ifb', exclude: '1$' } });
    expect(inc.host.interfaces?.map((i) => i.device)).toEqual(['ifb0']);
  });

  it('adds mem_bytes as pages times the page size', async () => {
    const { host } = await collect({ ...real, procfs_path: '/proc', interfaces: { include: '^$' } });
    const tcp = host.sockstat?.TCP;
    const pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
    expect(tcp?.mem_bytes).toBe((tcp?.mem ?? NaN) * pageSize);
  });

  it('treats absent files as absent parts, not errors', async () => {
    const { host, warnings } = await collect({ procfs_path: `${FIXTURES}nowhere/proc`, sysfs_path: `${FIXTURES}nowhere/sys` });
    expect(warnings).toEqual([]);
    expect(host).toEqual({});
  });

  it('reports the malformed file by path and line while every other file still publishes', async () => {
    const { host, warnings } = await collect({ procfs_path: `${FIXTURES}broken/proc`, sysfs_path: `${FIXTURES}real/sys` });
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toEqual({ code: 'ERR_PROCFS_MALFORMED', message: `${FIXTURES}broken/proc/net/dev line 3: lo has 17 values, the header names 16` });
    expect(host.interfaces?.find((i) => i.device === 'ifb1')?.counters.receive_bytes).toBe(18446744073709551615);
    // lo and eth0 rows were bad: their sysfs facts remain, their counters do not.
    expect(host.interfaces?.find((i) => i.device === 'eth0')?.counters).toEqual({});
    expect(host.sockstat?.sockets?.used).toBe(15);
    expect(host.protocols?.Tcp).toBeDefined();
    expect(host.conntrack?.limit).toBe(262144);
    expect(host.softnet).toHaveLength(2);
    const names = renderHostFamilies(host).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['node_network_receive_bytes_total', 'node_network_info', 'node_sockstat_TCP_inuse', 'node_softnet_processed_total']));
  });

  it('honours an abort by reporting it, not throwing', async () => {
    const c = await linuxProcfsHostCollector.create(context(real));
    const ac = new AbortController();
    ac.abort(new Error('timed out'));
    const r = await c.stream(ac.signal, () => {});
    expect(r.warnings).toEqual([{ code: 'ERR_PROCFS_ABORTED', message: 'collection stopped: aborted' }]);
    await c.close();
  });
});

describe('linux-procfs host config', () => {
  it('validates with defaults filled and unknown keys refused', () => {
    const validate = compileConfigSchema(linuxProcfsHostCollector.configSchema, 'collectors.linux-procfs');
    const cfg: Record<string, unknown> = {};
    expect(validate(cfg)).toEqual([]);
    // issue 21 adds the addresses section (sockscope_host_address_info), on by default
    expect(cfg).toEqual({
      procfs_path: '/proc',
      sysfs_path: '/sys',
      interfaces: {},
      netstat_fields: NODE_EXPORTER_NETSTAT_FIELDS,
      addresses: { enabled: true, namespaces: 'own', netns_run_dir: '/run/netns', max_series: 10000 },
    });
    expect(validate({ interfaces: { exlude: 'lo' } })).toEqual(['collectors.linux-procfs.interfaces.exlude: unknown key (did you mean "exclude"?)']);
  });

  it('refuses an invalid regex with a coded error naming its path', async () => {
    let caught: unknown;
    try {
      await linuxProcfsHostCollector.create(context({ interfaces: { exclude: '^(lo' }, netstat_fields: '[' }));
    } catch (err) {
      caught = err;
    }
    expect(isSockscopeError(caught) && caught.code).toBe('ERR_CONFIG_INVALID');
    const details = (caught as { details: string[] }).details;
    expect(details).toHaveLength(2);
    expect(details[0]).toMatch(/^collectors\.linux-procfs\.interfaces\.exclude: invalid regular expression "\^\(lo"/);
    expect(details[1]).toMatch(/^collectors\.linux-procfs\.netstat_fields: invalid regular expression/);
  });
});
