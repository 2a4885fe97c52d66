import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type MetricFamily } from '@sockscope/core';
import { holdInNamespaces } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import {
  compressIPv6,
  ipv4Interface,
  NetnsInodes,
  ownAddresses,
  parseConnectedRoutes,
  parseFibTrieLocal,
  parseIfInet6,
  readHostAddresses,
  readNamespaceAddresses,
} from '../../src/host/addresses.js';
import { linuxProcfsHostCollector } from '../../src/plugins/linux-procfs.js';

// Issue 21: sockscope_host_address_info{address, netns, interface, instance_name}, the fleet map's
// address → host table.

// /proc/net/fib_trie of a namespace with lo, a veth in 10.221.0.0/24 and a /32 on a dummy (no subnet route)
const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.221.0.0/24 2 0 2
        +-- 10.221.0.0/30 2 0 2
           |-- 10.221.0.0
              /24 link UNICAST
           |-- 10.221.0.2
              /32 host LOCAL
        |-- 10.221.0.255
           /32 link BROADCAST
     |-- 10.99.0.7
        /32 host LOCAL
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.221.0.0/24 2 0 2
           |-- 10.221.0.2
              /32 host LOCAL
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
`;
const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
veth-s\t00000000\t0100DD0A\t0003\t0\t0\t0\t00000000\t0\t0\t0
veth-s\t0000DD0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;
const IF_INET6 = `00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     veth-s
fd000000000000000000000000000002 04 40 00 82     veth-s
`;

describe('host addresses: the kernel files of another namespace', () => {
  it('fib_trie: every /32 host LOCAL leaf once, nothing else (prefixes, broadcast, the 127/8 route)', () => {
    expect(parseFibTrieLocal(FIB_TRIE)).toEqual(['10.221.0.2', '10.99.0.7', '127.0.0.1']);
    expect(parseFibTrieLocal('')).toEqual([]);
  });

  it('route: the connected route covering an address names its interface; lo for 127/8; none for a bare /32', () => {
    const routes = parseConnectedRoutes(ROUTE);
    expect(routes).toEqual([{ iface: 'veth-s', dest: 0x0add0000, mask: 0xffffff00 }]); // the default route has a gateway: left out
    expect(ipv4Interface('10.221.0.2', routes)).toBe('veth-s');
    expect(ipv4Interface('127.0.0.1', routes)).toBe('lo');
    expect(ipv4Interface('10.99.0.7', routes)).toBe('');
  });

  it('if_inet6: compressed addresses with their interface', () => {
    expect(parseIfInet6(IF_INET6)).toEqual([
      { address: '::1', interface: 'lo' },
      { address: 'fe80::fc:ff:fe00:1', interface: 'veth-s' },
      { address: 'fd00::2', interface: 'veth-s' },
    ]);
    expect(compressIPv6('20010db8000000000001000000000001')).toBe('2001:db8::1:0:0:1');
    expect(compressIPv6('20010db8000100020003000400050006')).toBe('2001:db8:1:2:3:4:5:6');
  });
});

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;

describe.runIf(linux)('host addresses, live', () => {
  it('the files of /proc/self/net give the same addresses and interfaces as getifaddrs in the own namespace', async () => {
    const key = (a: { address: string; interface: string }) => `${a.address}@${a.interface}`;
    const fromFiles = (await readNamespaceAddresses('/proc/self/net')).map(key).sort();
    const fromGetifaddrs = ownAddresses().map(key).sort();
    expect(fromFiles).toEqual(fromGetifaddrs);
    expect(fromFiles.length).toBeGreaterThan(0);
  });

  it('the collector publishes the family beside the host stats: instance_name is the hostname unless configured, netns system', async () => {
    // config as a user writes it: createPluginContext validates it and fills the defaults
    const run = async (config: Record<string, unknown>) => {
      const c = await linuxProcfsHostCollector.create(createPluginContext(linuxProcfsHostCollector, config));
      try {
        return await c.stream(new AbortController().signal, () => undefined);
      } finally {
        await c.close();
      }
    };
    const r = await run({});
    const fam = r.families?.find((f) => f.name === 'sockscope_host_address_info') as MetricFamily;
    // a host family: left out with node_* under the prometheus_ss_exporter profile
    expect(fam).toMatchObject({ type: 'gauge', host: true });
    expect(fam.samples?.map((s) => s.labels.address).sort()).toEqual([...new Set(ownAddresses().map((a) => a.address))].sort());
    for (const s of fam.samples ?? []) expect(s.labels).toMatchObject({ instance_name: hostname(), netns: 'system' });
    const named = await run({ addresses: { instance_name: 'edge-7' } });
    expect(new Set(named.families?.[0]?.samples?.map((s) => s.labels.instance_name))).toEqual(new Set(['edge-7']));
    const off = await run({ addresses: { enabled: false } });
    expect(off.families).toBeUndefined();
  });

  // Issue 20: the collector keeps the two namespace inodes (the links were read, pid 1's failing
  // with an exception in a sandbox, on every collection); the family must not change.
  it('gives the same family with the namespace inodes kept as when both links are read each time', async () => {
    const o = { procfsPath: '/proc', instanceName: 'x', namespaces: 'own', netnsRunDir: '/run/netns', maxSeries: 10000 } as const;
    const inodes = new NetnsInodes('/proc');
    for (let i = 0; i < 2; i++) expect(await readHostAddresses(o, inodes)).toEqual(await readHostAddresses(o));
  });

  it('NetnsInodes reads each link once, and one it could not read again only after retryMs', () => {
    const proc = mkdtempSync(join(tmpdir(), 'sockscope-inodes-'));
    try {
      mkdirSync(join(proc, 'self/ns'), { recursive: true });
      symlinkSync('net:[4026531840]', join(proc, 'self/ns/net'));
      const inodes = new NetnsInodes(proc, 60_000);
      expect(inodes.own(0)).toBe(4026531840);
      expect(inodes.host(0)).toBeUndefined();
      // pid 1's link appears (the read was refused before): not read again within the minute…
      mkdirSync(join(proc, '1/ns'), { recursive: true });
      symlinkSync('net:[4026532000]', join(proc, '1/ns/net'));
      expect(inodes.host(59_999)).toBeUndefined();
      // …then read
      expect(inodes.host(60_000)).toBe(4026532000);
      // a link read is kept: the namespaces of the agent's main thread and of pid 1 do not change
      rmSync(join(proc, 'self/ns/net'));
      expect(inodes.own(120_000)).toBe(4026531840);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('labels the agent\'s namespace system when it is pid 1\'s, and by its ip netns name when it is another (fixture procfs and run dir)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-netns-label-'));
    try {
      const run = join(dir, 'run');
      mkdirSync(run);
      writeFileSync(join(run, 'blue'), '');
      const blue = statSync(join(run, 'blue')).ino;
      const proc = (host: number) => {
        const p = join(dir, `proc-${host}`);
        mkdirSync(join(p, 'self/ns'), { recursive: true });
        mkdirSync(join(p, '1/ns'), { recursive: true });
        symlinkSync(`net:[${blue}]`, join(p, 'self/ns/net'));
        symlinkSync(`net:[${host}]`, join(p, '1/ns/net'));
        return p;
      };
      const labels = async (procfsPath: string) =>
        new Set((await readHostAddresses({ procfsPath, instanceName: 'x', namespaces: 'own', netnsRunDir: run, maxSeries: 10000 }, new NetnsInodes(procfsPath))).family.samples?.map((s) => s.labels.netns));
      expect(await labels(proc(blue))).toEqual(new Set(['system']));
      expect(await labels(proc(1))).toEqual(new Set(['blue']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('max_series caps the family, the same series each time, and says so', async () => {
    const r = await readHostAddresses({ procfsPath: '/proc', instanceName: 'x', namespaces: 'own', netnsRunDir: '/run/netns', maxSeries: 1 });
    expect(r.family.samples).toHaveLength(1);
    expect(r.warnings.map((w) => w.code)).toEqual(['ERR_HOST_ADDRESSES_CAPPED']);
    const again = await readHostAddresses({ procfsPath: '/proc', instanceName: 'x', namespaces: 'own', netnsRunDir: '/run/netns', maxSeries: 1 });
    expect(again.family.samples).toEqual(r.family.samples);
  });

  it.runIf(root)('namespaces: all reads a namespace a process is in, without entering it: its IPv4 and IPv6 with interface and ip netns name', async () => {
    const ns = `sockscope-addr-${randomBytes(3).toString('hex')}`;
    const held = await holdInNamespaces([ns], 'console.log("ready"); process.stdin.on("end", () => process.exit(0)); process.stdin.resume();');
    try {
      const sh = (...a: string[]) => execFileSync('ip', ['-n', ns, ...a]);
      sh('link', 'add', 'dummy-a', 'type', 'veth', 'peer', 'name', 'dummy-b');
      sh('link', 'set', 'dummy-a', 'up');
      sh('link', 'set', 'dummy-b', 'up');
      sh('addr', 'add', '10.231.7.9/24', 'dev', 'dummy-a');
      sh('addr', 'add', 'fd00:231::9/64', 'dev', 'dummy-a', 'nodad');
      const r = await readHostAddresses({ procfsPath: '/proc', instanceName: 'h', namespaces: 'all', netnsRunDir: '/run/netns', maxSeries: 10000 });
      const mine = (r.family.samples ?? []).filter((s) => s.labels.netns === ns).map((s) => `${s.labels.address}@${s.labels.interface}`).sort();
      expect(mine).toEqual(expect.arrayContaining(['10.231.7.9@dummy-a', '127.0.0.1@lo', '::1@lo', 'fd00:231::9@dummy-a']));
      // the own namespace is there too, once
      expect((r.family.samples ?? []).filter((s) => s.labels.netns === 'system').length).toBe(new Set(ownAddresses().map((a) => `${a.address}@${a.interface}`)).size);
    } finally {
      await held.release();
    }
  });
});
