// The same comparison inside a network namespace this test creates, where the interfaces are
// known: a veth pair that is up with an alias, another that is down, and traffic between them.
// node_exporter and sockscope both read that namespace through /proc/<pid> of a process living
// in it and a sysfs mounted from inside it, so neither needs to run in the namespace.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostCollectorConfig } from '../../src/config.js';
import { compare, sideBySide, type Comparison } from './compare.js';
import { NODE_EXPORTER, startNodeExporter, type RunningExporter } from './node-exporter.js';

const isRoot = process.getuid?.() === 0;
const available = process.platform === 'linux' && existsSync(NODE_EXPORTER) && isRoot && existsSync('/usr/sbin/ip') && existsSync('/usr/bin/nsenter');
const skipReason = available ? '' : ` (skipped: needs root, ip, nsenter and ${NODE_EXPORTER}; apt-get install prometheus-node-exporter)`;

const NS = `procfs-host-${process.pid}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', NS, ...args], { stdio: 'pipe' });

describe('host families against node_exporter in a test network namespace' + skipReason, () => {
  let exporter: RunningExporter | undefined;
  let sleeper: ChildProcess | undefined;
  let sysMount: string | undefined;
  let config: Partial<HostCollectorConfig> = {};

  beforeAll(async () => {
    if (!available) return;
    execFileSync('ip', ['netns', 'add', NS]);
    ip('link', 'add', 'pv0', 'type', 'veth', 'peer', 'name', 'pv1');
    ip('link', 'add', 'pv2', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'pv3');
    ip('link', 'set', 'pv0', 'alias', 'sockscope "test" v0');
    ip('addr', 'add', '10.201.0.1/30', 'dev', 'pv0');
    ip('addr', 'add', '10.201.0.2/30', 'dev', 'pv1');
    for (const dev of ['lo', 'pv0', 'pv1']) ip('link', 'set', dev, 'up');
    // Some traffic inside the namespace: six UDP datagrams between its own addresses (over its lo).
    const send = `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>s.send('x',9,'10.201.0.2',()=>{if(++n<6)go();else s.close();});s.bind(0,'10.201.0.1',go);`;
    execFileSync('ip', ['netns', 'exec', NS, process.execPath, '-e', send], { stdio: 'pipe' });
    sysMount = mkdtempSync(`${tmpdir()}/procfs-host-sys-`);
    // nsenter changes only the network namespace, so the mount lands in ours showing the test namespace's interfaces.
    execFileSync('nsenter', [`--net=/run/netns/${NS}`, 'mount', '-t', 'sysfs', 'sysfs', sysMount]);
    // `ip netns exec` execs sleep in place: its pid is the sleeper's, and /proc/<pid>/net is the namespace's.
    sleeper = spawn('ip', ['netns', 'exec', NS, 'sleep', '600'], { stdio: 'ignore' });
    const procfs = `/proc/${sleeper.pid}`;
    const deadline = Date.now() + 5000;
    while (!execFileSync('cat', [`${procfs}/net/dev`]).toString().includes('pv0')) {
      if (Date.now() > deadline) throw new Error('the sleeper did not enter the namespace');
      await new Promise((r) => setTimeout(r, 20));
    }
    config = { procfs_path: procfs, sysfs_path: sysMount };
    // netdev's default netlink mode would read node_exporter's own namespace; make it read the files.
    exporter = await startNodeExporter([`--path.procfs=${procfs}`, `--path.sysfs=${sysMount}`, '--no-collector.netdev.netlink']);
  }, 20_000);

  afterAll(async () => {
    // Undo whatever beforeAll got to, each step on its own so one failure does not leak the rest.
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch {
        // already gone
      }
    };
    await attempt(() => exporter?.stop());
    await attempt(async () => {
      if (sleeper && sleeper.exitCode === null) {
        const exited = new Promise((r) => sleeper?.once('exit', r));
        sleeper.kill('SIGTERM');
        await exited;
      }
    });
    if (sysMount) {
      await attempt(() => execFileSync('umount', [sysMount as string]));
      await attempt(() => rmdirSync(sysMount as string));
    }
    if (available) await attempt(() => execFileSync('ip', ['netns', 'del', NS], { stdio: 'pipe' }));
  });

  it.skipIf(!available)('agrees with node_exporter on every family, label set and value of the namespace', async () => {
    let c: Comparison | undefined;
    let side: Awaited<ReturnType<typeof sideBySide>> | undefined;
    for (let attempt = 0; attempt < 3 && (!c || c.values.length > 0); attempt++) {
      side = await sideBySide(exporter as RunningExporter, config);
      // node_exporter's file mode lacks rx_nohandler, which its default netlink mode (and sockscope) publish.
      c = compare(side, new Set(['node_network_receive_nohandler_total']));
    }
    expect(side?.warnings).toEqual([]);
    expect(c?.missing).toEqual([]);
    expect(c?.extra).toEqual([]);
    expect(c?.structure).toEqual([]);
    expect(c?.values).toEqual([]);

    // The namespace's interfaces, as both see them.
    const info = side?.ne.get('node_network_info')?.samples.map((s) => s.labels);
    expect(info?.map((l) => l.device).sort()).toEqual(['lo', 'pv0', 'pv1', 'pv2', 'pv3']);
    expect(info?.find((l) => l.device === 'pv0')).toMatchObject({ ifalias: 'sockscope "test" v0', duplex: 'full', operstate: 'up' });
    const mine = side?.after.get('node_network_info')?.samples?.find((s) => s.labels.device === 'pv2')?.labels;
    expect(mine).toMatchObject({ adminstate: 'down', operstate: 'down' });
    const speed = side?.after.get('node_network_speed_bytes')?.samples?.find((s) => s.labels.device === 'pv0');
    expect(speed?.value).toBe(10000 * 125000);
    const mtu = side?.after.get('node_network_mtu_bytes')?.samples?.find((s) => s.labels.device === 'pv2');
    expect(mtu?.value).toBe(9000);
    const rx = side?.after.get('node_network_receive_packets_total')?.samples?.find((s) => s.labels.device === 'lo');
    expect(rx?.value).toBeGreaterThanOrEqual(6);
    expect(c?.compared).toBeGreaterThan(100);
  });
});
