import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { collect, createPluginContext, type ContainerInfo, type Fold, type SocketRecord } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerEnricher } from '../../src/plugins/container.js';
import { linuxProcfsSocketsCollector } from '../../src/plugins/linux-procfs-sockets.js';
import { processEnricher } from '../../src/plugins/process.js';
import { containerContext } from './container-context.js';

// Live: child processes holding loopback connections are moved into fake container cgroups,
// shaped as each runtime and cgroup driver makes them, in BOTH hierarchies of this hybrid host
// (v1 name=systemd at /sys/fs/cgroup/systemd, v2 at /sys/fs/cgroup/unified), with each runtime's
// state written under a temp root from the hand-written fixtures. One collection through core's
// collect() with the procfs socket collector and the process and container enrichers must name
// every owner. Another child runs in an `ip netns add` namespace. Needs root.

const V1 = '/sys/fs/cgroup/systemd';
const V2 = '/sys/fs/cgroup/unified';
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && existsSync(join(V1, 'cgroup.procs')) && existsSync(join(V2, 'cgroup.procs'));
const PREFIX = `sockscope-test-${process.pid}`;
const NS = `sockscope-test-${process.pid}`;
const fixture = (name: string) => new URL(`runtimes/fixtures/${name}.json`, import.meta.url);
const hex = (byte: string) => byte.repeat(32);
// the Podman fixtures (containers.json) list this id
const PODMAN_ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';

// Listens on loopback, connects to itself, prints {pid, port} and waits for stdin to end.
const CHILD = `
const net = require('node:net');
const s = net.createServer((c) => { s.peer = c; });
s.listen(0, '127.0.0.1', () => { const c = net.connect(s.address().port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ pid: process.pid, port: s.address().port }) + '\\n'); s.client = c; }); });
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

interface Shape {
  what: string;
  /** cgroup path under PREFIX. */
  cgroup: string;
  /** State files to lay out: [path under the temp root, fixture]. */
  state: [string, string][];
  expected: Partial<ContainerInfo>;
}

const POD_A = '1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a5b';
const POD_B = '1a2b3c4d-0002-4e5f-8a9b-0c1d2e3f4a5b';
const POD_C = '1a2b3c4d-0003-4e5f-8a9b-0c1d2e3f4a5b';
const under = (_: string) => _.replace(/-/g, '_');
const SHAPES: Shape[] = [
  {
    what: 'containerd, systemd driver, burstable',
    cgroup: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${under(POD_A)}.slice/cri-containerd-${hex('a1')}.scope`,
    state: [[`containerd/io.containerd.runtime.v2.task/k8s.io/${hex('a1')}/config.json`, 'containerd-1.7-cri-container']],
    expected: { id: hex('a1'), runtime: 'containerd', podUid: POD_A, qosClass: 'burstable', name: 'nginx', pod: 'web-7d4b9c8f6d-x2x9z', namespace: 'shop', image: 'docker.io/library/nginx:1.27', workload: 'web', workloadKind: 'Deployment', orchestrator: 'kubernetes' },
  },
  {
    what: 'containerd, cgroupfs driver, besteffort (the cgroup names no runtime)',
    cgroup: `kubepods/besteffort/pod${POD_B}/${hex('b2')}`,
    state: [[`containerd/io.containerd.runtime.v2.task/k8s.io/${hex('b2')}/config.json`, 'containerd-1.7-cri-container']],
    expected: { id: hex('b2'), runtime: 'containerd', podUid: POD_B, qosClass: 'besteffort', name: 'nginx', namespace: 'shop', orchestrator: 'kubernetes' },
  },
  {
    what: 'CRI-O, systemd driver, guaranteed',
    cgroup: `kubepods.slice/kubepods-pod${under(POD_C)}.slice/crio-${hex('c3')}.scope`,
    state: [[`storage/overlay-containers/${hex('c3')}/userdata/config.json`, 'crio-1.30-container']],
    expected: { id: hex('c3'), runtime: 'cri-o', podUid: POD_C, qosClass: 'guaranteed', name: 'node-exporter', pod: 'node-exporter-x7k2p', namespace: 'monitoring', workload: 'node-exporter', workloadKind: 'DaemonSet', orchestrator: 'kubernetes' },
  },
  {
    what: 'Docker with Compose',
    cgroup: `system.slice/docker-${hex('d4')}.scope`,
    state: [[`docker/${hex('d4')}/config.v2.json`, 'docker-27-compose']],
    expected: { id: hex('d4'), runtime: 'docker', name: 'shop-web-1', image: 'nginx:1.27', composeProject: 'shop', composeService: 'web', orchestrator: 'compose' },
  },
  {
    what: 'Podman (names from containers/storage)',
    cgroup: `machine.slice/libpod-${PODMAN_ID}.scope`,
    state: [
      [`storage/overlay-containers/${PODMAN_ID}/userdata/config.json`, 'podman-5-container'],
      ['storage/overlay-containers/containers.json', 'podman-5-containers'],
      ['storage/overlay-images/images.json', 'podman-5-images'],
    ],
    expected: { id: PODMAN_ID, runtime: 'podman', name: 'db', image: 'docker.io/library/postgres:16', orchestrator: 'podman' },
  },
];

interface Held {
  child: ChildProcess;
  pid: number;
  port: number;
}

async function hold(command: string, args: string[]): Promise<Held> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const { pid, port } = JSON.parse(line.toString()) as { pid: number; port: number };
  return { child, pid, port };
}

async function release(h: Held | undefined): Promise<void> {
  if (!h || h.child.exitCode !== null) return;
  h.child.stdin?.end();
  await once(h.child, 'exit');
}

/** Removes a cgroup tree bottom-up (a cgroup directory goes with rmdir once it holds no process). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) removeCgroupTree(path);
  }
  rmdirSync(dir);
}

/** One collection as the agent runs it: collect() streams the socket table through both enrichers into a fold that keeps the records. */
async function collectOnce(procfsPath: string, config: Record<string, unknown>): Promise<SocketRecord[]> {
  const records: SocketRecord[] = [];
  const keep: Fold<number> = { begin: () => {}, add: (r) => void records.push(r), end: () => records.length };
  const collection = await collect(
    [{ name: 'linux-procfs-sockets', collector: await linuxProcfsSocketsCollector.create(testContext({ procfs_path: procfsPath, tables: ['tcp', 'tcp6'] as const })), timeoutMs: 10_000 }],
    [
      { name: 'process', enricher: await processEnricher.create(createPluginContext(processEnricher, {})), timeoutMs: 10_000 },
      { name: 'container', enricher: await containerEnricher.create(containerContext(config)), timeoutMs: 10_000 },
    ],
    { keep },
  );
  const container = collection.status.find((s) => s.name === 'enricher:container');
  expect(container?.success).toBe(true);
  expect(container?.warnings ?? []).toEqual([]);
  expect(collection.families.map((f) => f.name)).toContain('sockscope_owner_cache_entries');
  return records;
}

describe.runIf(canRun)('container enricher on live fake-container cgroups (hybrid v1 + v2)', () => {
  let state = '';
  const held: Held[] = [];
  let inNs: Held | undefined;
  let config: Record<string, unknown> = {};
  let records: SocketRecord[] = [];

  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), 'sockscope-owner-live-'));
    config = {
      runtime_roots: { containerd: [join(state, 'containerd')], crio: [join(state, 'storage')], podman: [join(state, 'storage')], docker: [join(state, 'docker')] },
    };
    for (const shape of SHAPES) {
      for (const [path, name] of shape.state) {
        mkdirSync(dirname(join(state, path)), { recursive: true });
        copyFileSync(fixture(name), join(state, path));
      }
      const h = await hold(process.execPath, ['-e', CHILD, 'sockscope-owner-live-child']);
      held.push(h);
      for (const root of [V1, V2]) {
        const dir = join(root, PREFIX, shape.cgroup);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'cgroup.procs'), String(h.pid));
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // none left over: the usual case
    }
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    inNs = await hold('ip', ['netns', 'exec', NS, process.execPath, '-e', CHILD]);
    records = await collectOnce('/proc', config);
  }, 60_000);

  afterAll(async () => {
    for (const h of held) {
      // back to the root cgroup first, so the tree can go even if a child is slow to exit
      for (const root of [V1, V2]) {
        try {
          writeFileSync(join(root, 'cgroup.procs'), String(h.pid));
        } catch {
          // exited already
        }
      }
      await release(h);
    }
    await release(inNs);
    for (const root of [V1, V2]) removeCgroupTree(join(root, PREFIX));
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // never created
    }
    rmSync(state, { recursive: true, force: true });
  });

  it.each(SHAPES.map((s, i) => [s.what, i] as const))('%s: every record of the child is named', (_what, i) => {
    const h = held[i] as Held;
    const shape = SHAPES[i] as Shape;
    // placed in both hierarchies, as a runtime on this hybrid host would
    const cgroup = readFileSync(`/proc/${h.pid}/cgroup`, 'utf8');
    expect(cgroup).toContain(`:name=systemd:/${PREFIX}/${shape.cgroup}\n`);
    expect(cgroup).toContain(`0::/${PREFIX}/${shape.cgroup}\n`);
    const mine = records.filter((r) => r.process?.pid === h.pid);
    // its listener, the client and the accepted end
    expect(mine.map((r) => r.state).sort()).toEqual(['ESTABLISHED', 'ESTABLISHED', 'LISTEN']);
    for (const r of mine) expect(r.container).toMatchObject({ ...shape.expected, cgroupPath: `/${PREFIX}/${shape.cgroup}` });
    // one frozen object for every record of the owner
    expect(new Set(mine.map((r) => r.container)).size).toBe(1);
    expect(Object.isFrozen(mine[0]?.container)).toBe(true);
    // the children share the agent's namespace, which stands for the host's when /proc/1 is closed to us
    for (const r of mine) expect(r.netnsName).toBe('system');
  });

  it("the host's own processes: systemd unit or none, namespace 'system'", () => {
    const own = records.filter((r) => r.process?.pid === process.pid);
    for (const r of own) expect(r.netnsName).toBe('system');
    expect(records.every((r) => r.netnsName !== undefined)).toBe(true);
  });

  it('a process in an `ip netns add` namespace shows its name', async () => {
    const h = inNs as Held;
    // that namespace's table is read through the child's own /proc/<pid>/net
    const inside = (await collectOnce(`/proc/${h.pid}`, config)).filter((r) => r.process?.pid === h.pid);
    expect(inside.length).toBe(3);
    for (const r of inside) expect(r.netnsName).toBe(NS);
  });
});
