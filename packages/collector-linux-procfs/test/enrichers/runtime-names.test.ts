import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONTAINER_NOTICES, RuntimeNames, readBounded, withRuntimeNames, type RuntimeRoots } from '../../src/enrichers/runtime-names.js';
import { findStorageContainer, findStorageImageName, MAX_RUNTIME_FILE_BYTES } from '../../src/enrichers/runtimes/index.js';

// Runtime state laid out under temp roots exactly where each runtime keeps it, from the
// hand-written fixtures of test/enrichers/runtimes/fixtures (see its README).
const ID = '3f4e7d0c2a9b8e1f6d5c4b3a29181716f5e4d3c2b1a09f8e7d6c5b4a39281706';
const OTHER = 'aa'.repeat(32);
const fixture = (name: string) => new URL(`runtimes/fixtures/${name}.json`, import.meta.url);

let tmp = '';
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sockscope-runtime-names-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const put = (path: string, from: URL | string | Buffer) => {
  mkdirSync(dirname(path), { recursive: true });
  if (from instanceof URL) copyFileSync(from, path);
  else writeFileSync(path, from);
};
const roots = (over: Partial<RuntimeRoots> = {}): RuntimeRoots => ({
  containerd: [join(tmp, 'containerd')],
  crio: [join(tmp, 'crio')],
  podman: [join(tmp, 'podman-run'), join(tmp, 'podman')],
  docker: [join(tmp, 'docker')],
  ...over,
});
const containerdBundle = (ns: string, id: string) => join(tmp, 'containerd', 'io.containerd.runtime.v2.task', ns, id, 'config.json');
const userdata = (root: string, id: string) => join(tmp, root, 'overlay-containers', id, 'userdata', 'config.json');

describe('RuntimeNames: each runtime from its state root', () => {
  it('containerd: the bundle in whichever namespace holds it (CRI in k8s.io)', () => {
    mkdirSync(join(tmp, 'containerd', 'io.containerd.runtime.v2.task', 'default'), { recursive: true });
    put(containerdBundle('k8s.io', ID), fixture('containerd-1.7-cri-container'));
    const names = new RuntimeNames(roots());
    expect(names.lookup(ID, 'containerd')).toMatchObject({ runtime: 'containerd', name: 'nginx', pod: 'web-7d4b9c8f6d-x2x9z', namespace: 'shop', image: 'docker.io/library/nginx:1.27' });
    expect(names.takeNotices()).toEqual([]);
  });

  it('containerd: nerdctl in the default namespace', () => {
    put(containerdBundle('default', ID), fixture('containerd-2.0-nerdctl'));
    expect(new RuntimeNames(roots()).lookup(ID, 'containerd')).toMatchObject({ runtime: 'containerd', name: 'cache' });
  });

  it('CRI-O: userdata/config.json with the pod names', () => {
    put(userdata('crio', ID), fixture('crio-1.30-container'));
    expect(new RuntimeNames(roots()).lookup(ID, 'cri-o')).toMatchObject({ runtime: 'cri-o', name: 'node-exporter', pod: 'node-exporter-x7k2p', namespace: 'monitoring' });
  });

  it('Docker: config.v2.json with Compose labels', () => {
    put(join(tmp, 'docker', ID, 'config.v2.json'), fixture('docker-27-compose'));
    expect(new RuntimeNames(roots()).lookup(ID, 'docker')).toMatchObject({ runtime: 'docker', name: 'shop-web-1', image: 'nginx:1.27', composeProject: 'shop', composeService: 'web' });
  });

  it("Podman: name from containers/storage's containers.json, image name from images.json (its config.json has neither)", () => {
    put(userdata('podman-run', ID), fixture('podman-5-container'));
    put(join(tmp, 'podman', 'overlay-containers', 'containers.json'), fixture('podman-5-containers'));
    put(join(tmp, 'podman', 'overlay-images', 'images.json'), fixture('podman-5-images'));
    expect(new RuntimeNames(roots()).lookup(ID, 'podman')).toEqual({ id: ID, runtime: 'podman', name: 'db', image: 'docker.io/library/postgres:16' });
  });

  it('finds a container whose cgroup named no runtime (cgroupfs kubepods) in any runtime, and one the cgroup misnamed', () => {
    put(userdata('crio', ID), fixture('crio-1.30-container'));
    expect(new RuntimeNames(roots()).lookup(ID, undefined)).toMatchObject({ runtime: 'cri-o', name: 'node-exporter' });
    expect(new RuntimeNames(roots()).lookup(ID, 'docker')).toMatchObject({ runtime: 'cri-o' });
  });
});

describe('RuntimeNames: containers/storage lookups', () => {
  it('takes the image reference from libpod metadata when it is there', () => {
    const web = '9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c';
    expect(findStorageContainer(readFileSync(fixture('podman-5-containers')), web).found).toEqual({ name: 'web', imageName: 'docker.io/library/nginx:1.27', imageId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    expect(findStorageContainer(readFileSync(fixture('podman-5-containers')), OTHER).found).toBeUndefined();
    expect(findStorageImageName(readFileSync(fixture('podman-5-images')), 'c0ffee00'.repeat(8)).found).toBe('docker.io/library/postgres:16');
  });

  it('refuses a containers.json that is not an array, or cut short', () => {
    expect(findStorageContainer('{}', ID).reason).toMatch(/not an array/);
    expect(findStorageContainer('[{"id":', ID).reason).toMatch(/not valid JSON/);
  });
});

describe('RuntimeNames: broken state gives a reason, once per container, never a throw', () => {
  const broken: [string, Buffer, RegExp][] = [
    ['truncated', readFileSync(fixture('containerd-1.7-cri-container')).subarray(0, 200), /not valid JSON \(truncated\?\)/],
    ['binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0x00, 0x01]), /not UTF-8|NUL/],
    ['not an OCI spec', Buffer.from('{"hello":"world"}'), /no ociVersion/],
  ];
  it.each(broken)('%s config.json: a notice naming the container and why', (_what, bytes, reason) => {
    put(containerdBundle('k8s.io', ID), bytes);
    const names = new RuntimeNames(roots());
    expect(names.lookup(ID, 'containerd')).toBeUndefined();
    const notices = names.takeNotices();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ key: `runtime-state:${ID}`, code: 'ERR_CONTAINER_RUNTIME_STATE' });
    expect(notices[0]?.message).toMatch(reason);
    expect(notices[0]?.message).toContain(ID);
  });

  it('a 50 MB file is refused by its size without being read', () => {
    const path = containerdBundle('k8s.io', ID);
    put(path, '');
    truncateSync(path, 50 * 1024 * 1024); // sparse: nothing to write, and nothing must be read
    const before = process.memoryUsage().arrayBuffers;
    const read = readBounded(path);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
    expect(read).toEqual({ reason: `${path} is ${50 * 1024 * 1024} bytes, over the ${MAX_RUNTIME_FILE_BYTES}-byte bound; not read` });
    const names = new RuntimeNames(roots());
    expect(names.lookup(ID, 'containerd')).toBeUndefined();
    expect(names.takeNotices()[0]?.message).toMatch(/over the \d+-byte bound/);
  });

  it('an id with no bundle anywhere: one notice, retried after 30 s without a second notice', () => {
    for (const r of ['containerd', 'crio', 'podman-run', 'podman', 'docker']) mkdirSync(join(tmp, r), { recursive: true });
    let now = 1_000_000;
    const names = new RuntimeNames(roots(), { now: () => now });
    expect(names.lookup(ID, 'containerd')).toBeUndefined();
    const [notice, ...rest] = names.takeNotices();
    expect(rest).toEqual([]);
    expect(notice?.message).toMatch(new RegExp(`container ${ID} \\(containerd\\): no runtime state found under .*containerd`));
    expect(names.lookup(ID, 'containerd')).toBeUndefined(); // within 30 s: the cached miss
    expect(names.stats()).toMatchObject({ hits: 1, misses: 1 });
    // the bundle appears just after the process did: found at the next try after 30 s
    put(containerdBundle('k8s.io', ID), fixture('containerd-1.7-cri-container'));
    now += 29_000;
    expect(names.lookup(ID, 'containerd')).toBeUndefined();
    now += 1_000;
    expect(names.lookup(ID, 'containerd')).toMatchObject({ name: 'nginx' });
    expect(names.takeNotices()).toEqual([]);
    expect(names.stats()).toMatchObject({ hits: 2, misses: 2, entries: 1 });
  });

  it(`names at most ${MAX_CONTAINER_NOTICES} containers, then counts the rest`, () => {
    const names = new RuntimeNames(roots());
    for (let i = 0; i < MAX_CONTAINER_NOTICES + 5; i++) names.lookup(i.toString(16).padStart(64, '0'), undefined);
    const notices = names.takeNotices();
    expect(notices.filter((n) => n.key.startsWith('runtime-state:'))).toHaveLength(MAX_CONTAINER_NOTICES);
    expect(notices.at(-1)).toMatchObject({ key: 'runtime-state-more', code: 'ERR_CONTAINER_RUNTIME_STATE' });
    expect(notices.at(-1)?.message).toMatch(/^5 more container/);
    expect(names.takeNotices()).toEqual([]);
  });
});

describe('RuntimeNames: missing roots', () => {
  it('says a missing root of the runtime the cgroup named once, with the fix', () => {
    const names = new RuntimeNames(roots());
    expect(names.lookup(ID, 'docker')).toBeUndefined();
    expect(names.lookup(OTHER, 'docker')).toBeUndefined();
    const notices = names.takeNotices();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ key: `runtime-root:docker:${join(tmp, 'docker')}`, code: 'ERR_CONTAINER_RUNTIME_ROOT' });
    expect(notices[0]?.message).toContain(`state root ${join(tmp, 'docker')} is missing`);
    expect(notices[0]?.message).toContain("Mount");
    expect(notices[0]?.message).toContain('enrichers.container.runtime_roots.docker');
  });

  it('says nothing of a missing root while no container of that runtime is seen', () => {
    put(userdata('crio', ID), fixture('crio-1.30-container'));
    const names = new RuntimeNames(roots()); // docker, containerd and podman roots missing
    expect(names.lookup(ID, 'cri-o')).toMatchObject({ name: 'node-exporter' });
    expect(names.takeNotices()).toEqual([]);
  });

  it('says nothing for a runtime turned off with []', () => {
    const names = new RuntimeNames(roots({ docker: [] }));
    expect(names.lookup(ID, 'docker')).toBeUndefined();
    expect(names.takeNotices()).toEqual([]);
  });
});

describe('RuntimeNames: memory follows live containers', () => {
  it('forgets an id a complete collection did not ask for; a partial one forgets nothing', () => {
    put(containerdBundle('k8s.io', ID), fixture('containerd-1.7-cri-container'));
    mkdirSync(join(tmp, 'docker'), { recursive: true });
    const names = new RuntimeNames(roots());
    names.lookup(ID, 'containerd');
    names.lookup(OTHER, 'docker');
    names.endCollection(true);
    expect(names.stats()).toMatchObject({ entries: 2, evictions: 0 });
    names.lookup(ID, 'containerd');
    names.endCollection(false); // OTHER unseen, but the collection was partial
    expect(names.stats()).toMatchObject({ entries: 2, evictions: 0 });
    names.endCollection(true);
    expect(names.stats()).toMatchObject({ entries: 1, evictions: 1 });
    names.endCollection(true);
    expect(names.stats()).toMatchObject({ entries: 0, evictions: 2 });
  });
});

describe('withRuntimeNames', () => {
  it('adds the names, the inferred workload and the orchestrator, keeping what the cgroup said', () => {
    const base = { id: ID, runtime: 'containerd', qosClass: 'burstable', cgroupPath: '/kubepods' };
    expect(withRuntimeNames(base, { id: ID, runtime: 'containerd', name: 'nginx', pod: 'web-7d4b9c8f6d-x2x9z', namespace: 'shop', podUid: 'u-1', image: 'nginx:1.27', type: 'container' })).toEqual({
      ...base,
      name: 'nginx',
      pod: 'web-7d4b9c8f6d-x2x9z',
      namespace: 'shop',
      podUid: 'u-1', // the cgroup had none
      image: 'nginx:1.27',
      containerType: 'container',
      workload: 'web',
      workloadKind: 'Deployment',
      orchestrator: 'kubernetes',
    });
    expect(withRuntimeNames({ id: ID, podUid: 'from-cgroup' }, { id: ID, runtime: 'cri-o', podUid: 'other' })).toMatchObject({ podUid: 'from-cgroup', runtime: 'cri-o', orchestrator: 'cri-o' });
    expect(withRuntimeNames({ id: ID }, { id: ID, runtime: 'docker', composeProject: 'shop', composeService: 'web' })).toMatchObject({ orchestrator: 'compose' });
  });
});
