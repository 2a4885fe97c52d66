// Fake Kubernetes containers for the `containers` step: cgroup directories shaped like containerd's
// under kubelet with the systemd cgroup driver, in both hierarchies of a hybrid (v1 + v2) host,
// and for each a containerd OCI bundle config.json carrying the CRI annotations, under a temp
// state root the agent is pointed at (enrichers.container.runtime_roots.containerd). Nothing here
// talks to a runtime: these are the files a real containerd would leave on disk, in its format
// (the annotations of containerd's CRI plugin, internal/cri/annotations), so the container
// enricher does the same reads it would on a node.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from './flags.mjs';
import { sleep } from './measure.mjs';

/** The cgroup hierarchies a process is placed in: v1 name=systemd (hybrid) and the v2 one. */
export const CGROUP_HIERARCHIES = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];
/** Every bench cgroup tree starts with this, so a later run can sweep what a killed one left. */
export const CGROUP_PREFIX = 'sockscope-bench-';
const QOS = ['burstable', 'besteffort', 'guaranteed'];
const NAMESPACES = 10;
const K8S_NAMESPACE = 'k8s.io'; // containerd's namespace for everything the CRI plugin creates

const hex = (text, length) => createHash('sha256').update(text).digest('hex').slice(0, length);
// Kubernetes' generated name parts (rand.String, SafeEncodeString) use this alphabet: no vowels, no 0, 1, 3
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const safe = (text, length) => [...createHash('sha256').update(text).digest().subarray(0, length)].map((b) => SAFE[b % SAFE.length]).join('');

/**
 * What fake container `i` of a run is: 64-hex id, its pod (two containers per pod, `app` and
 * `sidecar`, pods named like a Deployment's `<deployment>-<replicaset hash>-<suffix>`), its
 * Kubernetes namespace, pod UID, QoS class and image. Deterministic in `(seed, i)`.
 */
export function containerSpec(seed, i) {
  const podIndex = i >> 1;
  const app = i % 2 === 0;
  const deployment = `svc${String(podIndex % 25).padStart(2, '0')}`;
  const uid = hex(`${seed}/pod/${podIndex}`, 32);
  return {
    id: hex(`${seed}/container/${i}`, 64),
    name: app ? 'app' : 'sidecar',
    pod: `${deployment}-${safe(`${seed}/rs/${podIndex}`, 10)}-${safe(`${seed}/p/${podIndex}`, 5)}`,
    namespace: `team-${podIndex % NAMESPACES}`,
    podUid: `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`,
    qos: QOS[podIndex % QOS.length],
    image: app ? `registry.example/${deployment}:1.${podIndex % 7}` : 'docker.io/envoyproxy/envoy:v1.31.2',
  };
}

/**
 * The cgroup path (below a hierarchy's root) kubelet's systemd driver gives a containerd
 * container: `<root>/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope`
 * (guaranteed pods sit directly under kubepods.slice). `root` stands for kubelet's --cgroup-root.
 */
export function cgroupPathOf(root, spec) {
  const uid = spec.podUid.replaceAll('-', '_');
  const qosSlices = spec.qos === 'guaranteed' ? ['kubepods.slice', `kubepods-pod${uid}.slice`] : ['kubepods.slice', `kubepods-${spec.qos}.slice`, `kubepods-${spec.qos}-pod${uid}.slice`];
  return [root, ...qosSlices, `cri-containerd-${spec.id}.scope`].join('/');
}

/** The OCI runtime spec containerd writes into the bundle of a CRI container (the fields the enricher and a reader care about). */
export function bundleConfig(spec, cgroupPath) {
  return {
    ociVersion: '1.1.0',
    process: { user: { uid: 0, gid: 0 }, args: [spec.name === 'app' ? '/app' : 'envoy'], env: [`HOSTNAME=${spec.pod}`], cwd: '/' },
    root: { path: 'rootfs' },
    annotations: {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': spec.name,
      'io.kubernetes.cri.image-name': spec.image,
      'io.kubernetes.cri.sandbox-id': hex(`sandbox/${spec.podUid}`, 64),
      'io.kubernetes.cri.sandbox-name': spec.pod,
      'io.kubernetes.cri.sandbox-namespace': spec.namespace,
      'io.kubernetes.cri.sandbox-uid': spec.podUid,
    },
    // the systemd driver's form: <parent slice>:<prefix>:<id>
    linux: { cgroupsPath: `${cgroupPath.split('/').at(-2)}:cri-containerd:${spec.id}` },
  };
}

/** Removes empty cgroup trees earlier bench runs left behind (a killed run cannot clean up); busy ones are left alone. */
export function sweepStaleCgroups() {
  for (const hierarchy of CGROUP_HIERARCHIES) {
    if (!existsSync(hierarchy)) continue;
    for (const name of readdirSync(hierarchy)) if (name.startsWith(CGROUP_PREFIX)) removeTree(join(hierarchy, name));
  }
}

/** rmdir of a cgroup tree, deepest first; false when some directory is still busy. */
function removeTree(dir) {
  let ok = true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) ok = removeTree(join(dir, entry.name)) && ok;
  try {
    rmdirSync(dir);
  } catch (err) {
    if (err.code !== 'ENOENT') ok = false;
  }
  return ok;
}

/**
 * Creates `count` fake containers: a cgroup per container in every hierarchy and a bundle per
 * container under `<stateDir>/io.containerd.runtime.v2.task/k8s.io/<id>/config.json`. `place(i, pid)`
 * moves a process into container i (both hierarchies); `remove()` deletes the cgroups (their
 * processes must have ended; retried for a few seconds while they exit).
 */
export function createFakeContainers(count, stateDir) {
  const missing = CGROUP_HIERARCHIES.filter((h) => !existsSync(join(h, 'cgroup.procs')));
  if (missing.length > 0) {
    throw new BenchError(`the containers step needs the hybrid cgroup hierarchies ${CGROUP_HIERARCHIES.join(' and ')} (missing: ${missing.join(', ')}); leave the step out (--steps without containers)`);
  }
  const seed = randomBytes(4).toString('hex');
  const root = `${CGROUP_PREFIX}${seed}.slice`;
  const specs = Array.from({ length: count }, (_, i) => containerSpec(seed, i));
  const paths = specs.map((s) => cgroupPathOf(root, s));
  for (const [i, spec] of specs.entries()) {
    for (const h of CGROUP_HIERARCHIES) mkdirSync(join(h, paths[i]), { recursive: true });
    const bundle = join(stateDir, 'io.containerd.runtime.v2.task', K8S_NAMESPACE, spec.id);
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(bundleConfig(spec, paths[i])));
  }
  return {
    specs,
    root,
    /** Moves `pid` into container i's cgroup in every hierarchy. */
    place(i, pid) {
      for (const h of CGROUP_HIERARCHIES) writeFileSync(join(h, paths[i], 'cgroup.procs'), `${pid}\n`);
    },
    /** Pids still in any of the fake containers. */
    pids() {
      return CGROUP_HIERARCHIES.flatMap((h) => paths.flatMap((p) => {
        try {
          return readFileSync(join(h, p, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
        } catch {
          return [];
        }
      }));
    },
    /** Kills what is left inside, then removes every cgroup directory (deepest first); throws if one stays busy. */
    async remove() {
      for (const pid of new Set(this.pids())) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        const left = CGROUP_HIERARCHIES.filter((h) => existsSync(join(h, root)) && !removeTree(join(h, root)));
        if (left.length === 0) return;
        if (Date.now() > deadline) throw new BenchError(`could not remove the fake container cgroups ${left.map((h) => join(h, root)).join(', ')}: still busy after 10 s`);
        await sleep(100);
      }
    },
  };
}
