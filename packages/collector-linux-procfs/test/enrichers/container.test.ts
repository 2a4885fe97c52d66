import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { enrichRecords, type SocketRecord } from '@sockscope/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainerEnricher } from '../../src/enrichers/container.js';
import { containerEnricher } from '../../src/plugins/container.js';
import { containerContext, NO_RUNTIMES } from './container-context.js';

// A hand-made /proc tree: pid 300 runs in a Kubernetes pod's container (the CRI-O fixture), in
// network namespace 4026532500; the agent itself ("self") is in 4026531840.
const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';

describe('containerEnricher on a hand-made proc tree', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const setup = () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-procfs-'));
    mkdirSync(join(root, '300', 'ns'), { recursive: true });
    mkdirSync(join(root, 'self', 'ns'), { recursive: true });
    copyFileSync(new URL('../fixtures/cgroup/kubernetes-crio-v2-systemd.txt', import.meta.url), join(root, '300', 'cgroup'));
    writeFileSync(join(root, '300', 'stat'), '300 (envoy) S 1 300 300 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0\n');
    symlinkSync('net:[4026532500]', join(root, '300', 'ns', 'net'));
    symlinkSync('net:[4026531840]', join(root, 'self', 'ns', 'net'));
  };
  const rec = (extra: Partial<SocketRecord>): SocketRecord => ({
    protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.5', port: 8080 }, remote: { address: '10.0.0.9', port: 40000 },
    inode: 1, uid: 0, recvQueue: 0, sendQueue: 0, ...extra,
  });

  it("sets the owner's container, pod and namespace, and the agent's namespace on sockets without an owner", async () => {
    setup();
    const e = await containerEnricher.create(containerContext({ procfs_path: root, cache_size: 16, runtime_roots: NO_RUNTIMES }));
    const owned = rec({ process: { pid: 300, comm: 'envoy', startTime: 5555 } });
    const ownerless = rec({});
    const known = rec({ netns: 7, process: { pid: 300, comm: 'envoy' } }); // no start time: read from stat
    const unix = rec({ protocol: 'unix', family: 'unix' });
    expect((await enrichRecords(e, [owned, ownerless, known, unix])).warnings).toBeUndefined();
    expect(owned.container).toMatchObject({ id: ID, runtime: 'cri-o', podUid: '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11', qosClass: 'besteffort' });
    expect(owned.netns).toBe(4026532500);
    expect(ownerless.netns).toBe(4026531840);
    expect(known.netns).toBe(7); // a collector's own answer wins
    expect(known.container).toBe(owned.container); // same (pid, start time): one cache entry
    expect(unix.netns).toBeUndefined();
  });

  it('skips an owner that exited (its /proc entry is gone) without a warning', async () => {
    setup();
    const e = await containerEnricher.create(containerContext({ procfs_path: root, cache_size: 16, runtime_roots: NO_RUNTIMES }));
    const gone = rec({ process: { pid: 999, comm: 'gone', startTime: 1 } });
    expect((await enrichRecords(e, [gone])).warnings).toBeUndefined();
    expect(gone.container).toBeUndefined();
    expect(gone.netns).toBe(4026531840);
  });
});

describe('containerEnricher names every owner', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const DOCKER_ID = 'd0'.repeat(32);

  // /proc: 300 in a CRI-O pod (namespace 4026532500), 301 in nginx.service (the host's
  // namespace), 302 in a docker container whose state root is missing, 303 in an `ip netns`
  // namespace; pid 1 and the agent in 4026531840. State roots and /run/netns under the same root.
  const setup = () => {
    root = mkdtempSync(join(tmpdir(), 'sockscope-owner-'));
    const proc = join(root, 'proc');
    const netnsDir = join(root, 'netns');
    mkdirSync(netnsDir);
    writeFileSync(join(netnsDir, 'blue'), ''); // a plain file: with no nsfs to compare, its inode stands for the namespace
    const blue = statSync(join(netnsDir, 'blue')).ino;
    const proc1 = (pid: string, cgroup: string, netns: number) => {
      mkdirSync(join(proc, pid, 'ns'), { recursive: true });
      writeFileSync(join(proc, pid, 'cgroup'), cgroup);
      writeFileSync(join(proc, pid, 'stat'), `${pid} (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0\n`);
      symlinkSync(`net:[${netns}]`, join(proc, pid, 'ns', 'net'));
    };
    proc1('self', '0::/\n', 4026531840);
    proc1('1', '0::/init.scope\n', 4026531840);
    proc1('300', readFileSync(new URL('../fixtures/cgroup/kubernetes-crio-v2-systemd.txt', import.meta.url), 'utf8'), 4026532500);
    proc1('301', '0::/system.slice/nginx.service\n', 4026531840);
    proc1('302', `0::/system.slice/docker-${DOCKER_ID}.scope\n`, 4026532600);
    proc1('303', '0::/user.slice/user-0.slice/session-3.scope\n', blue);
    const bundle = join(root, 'crio', 'overlay-containers', ID, 'userdata', 'config.json');
    mkdirSync(dirname(bundle), { recursive: true });
    copyFileSync(new URL('runtimes/fixtures/crio-1.30-container.json', import.meta.url), bundle);
    const config = {
      procfs_path: proc,
      netns_run_dir: netnsDir,
      runtime_roots: { containerd: [], crio: [join(root, 'crio')], podman: [], docker: [join(root, 'docker')] },
    };
    return { config, blue };
  };
  const rec = (pid: number, port: number): SocketRecord => ({
    protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '127.0.0.1', port }, remote: { address: '127.0.0.1', port: 40000 + port },
    inode: port, uid: 0, recvQueue: 0, sendQueue: 0, process: { pid, comm: 'x', startTime: 77 },
  });

  it('container, pod, namespace, image, workload and orchestrator from the runtime; unit kind and name; one frozen object per owner', async () => {
    const { config } = setup();
    const ctx = containerContext(config);
    const e = await containerEnricher.create(ctx);
    const [a, b, unit] = [rec(300, 1), rec(300, 2), rec(301, 3)];
    const result = await enrichRecords(e, [a, b, unit]);
    expect(result.warnings).toBeUndefined();
    expect(a.container).toEqual({
      id: ID,
      runtime: 'cri-o',
      podUid: '9e1b5a5c-7f0e-4d2b-a8c3-2f6d9b0e4a11',
      qosClass: 'besteffort',
      cgroupPath: expect.stringContaining('crio-'),
      name: 'node-exporter',
      pod: 'node-exporter-x7k2p',
      namespace: 'monitoring',
      image: 'quay.io/prometheus/node-exporter:v1.8.2',
      containerType: 'container',
      workload: 'node-exporter',
      workloadKind: 'DaemonSet',
      orchestrator: 'kubernetes',
    });
    expect(b.container).toBe(a.container); // shared, not copied per record
    expect(Object.isFrozen(a.container)).toBe(true);
    expect(unit.container).toMatchObject({ systemdUnit: 'nginx.service', unitKind: 'service', unitName: 'nginx' });
    expect(ctx.notices).toEqual([]);
    // a second collection: the same object again, from the caches
    const again = rec(300, 4);
    await enrichRecords(e, [again]);
    expect(again.container).toBe(a.container);
  });

  it('names network namespaces: system for the host, the ip netns name, else the pod', async () => {
    const { config } = setup();
    const e = await containerEnricher.create(containerContext(config));
    const [pod, host, named, ownerless] = [rec(300, 1), rec(301, 2), rec(303, 3), { ...rec(0, 4), process: undefined }];
    const collectorSaid = { ...rec(301, 5), netnsName: 'from-collector' };
    await enrichRecords(e, [pod, host, named, ownerless, collectorSaid]);
    expect([pod.netnsName, host.netnsName, named.netnsName, ownerless.netnsName, collectorSaid.netnsName]).toEqual(['monitoring/node-exporter-x7k2p', 'system', 'blue', 'system', 'from-collector']);
  });

  it('says a missing runtime root once (reportOnce and a finish warning), and still sets the id and unit', async () => {
    const { config } = setup();
    const ctx = containerContext(config);
    const e = await containerEnricher.create(ctx);
    const r = rec(302, 1);
    const first = await enrichRecords(e, [r]);
    expect(r.container).toMatchObject({ id: DOCKER_ID, runtime: 'docker' });
    expect(r.container?.name).toBeUndefined();
    expect(first.warnings).toEqual([{ code: 'ERR_CONTAINER_RUNTIME_ROOT', message: expect.stringContaining(`state root ${join(root, 'docker')} is missing`) }]);
    expect(ctx.notices).toEqual([first.warnings?.[0]?.message]);
    expect(ctx.notices[0]).toContain('enrichers.container.runtime_roots.docker');
    const second = await enrichRecords(e, [rec(302, 2)]);
    expect(second.warnings).toBeUndefined();
    expect(ctx.notices).toHaveLength(1);
  });

  it('publishes its cache counters: hits, misses, evictions and entries of the cgroup and runtime caches', async () => {
    const { config } = setup();
    const e = await containerEnricher.create(containerContext({ ...config, cache_size: 1 }));
    await enrichRecords(e, [rec(300, 1), rec(301, 2)]); // two owners in a cache of one: one eviction
    const { families } = await enrichRecords(e, [rec(301, 3)]); // 301 cached; 300 not seen: its container id is forgotten
    const value = (name: string, cache: string) => families?.find((f) => f.name === name)?.samples?.find((s) => s.labels.cache === cache)?.value;
    expect(families?.map((f) => [f.name, f.type])).toEqual([
      ['sockscope_owner_cache_hits_total', 'counter'],
      ['sockscope_owner_cache_misses_total', 'counter'],
      ['sockscope_owner_cache_evictions_total', 'counter'],
      ['sockscope_owner_cache_entries', 'gauge'],
    ]);
    expect([value('sockscope_owner_cache_hits_total', 'cgroup'), value('sockscope_owner_cache_misses_total', 'cgroup'), value('sockscope_owner_cache_evictions_total', 'cgroup'), value('sockscope_owner_cache_entries', 'cgroup')]).toEqual([1, 2, 1, 1]);
    expect([value('sockscope_owner_cache_hits_total', 'runtime'), value('sockscope_owner_cache_misses_total', 'runtime'), value('sockscope_owner_cache_evictions_total', 'runtime'), value('sockscope_owner_cache_entries', 'runtime')]).toEqual([0, 1, 1, 0]);
  });

  it('says an unlistable netns_run_dir once, though it is retried every few seconds', async () => {
    const { config } = setup();
    let now = 0;
    const ctx = containerContext({ ...config, netns_run_dir: join(root, 'proc', 'self', 'cgroup') }); // a file: ENOTDIR
    const e = createContainerEnricher(ctx, { now: () => now });
    const first = await enrichRecords(e, [rec(301, 1)]);
    expect(first.warnings).toEqual([{ code: 'ERR_NETNS_NAMES_UNREADABLE', message: expect.stringContaining('netns_run_dir') }]);
    now += 6_000;
    expect((await enrichRecords(e, [rec(301, 2)])).warnings).toBeUndefined();
    expect(ctx.notices).toHaveLength(1);
  });
});
