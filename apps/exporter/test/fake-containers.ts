import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Fake containers for the agent-level tests: cgroups shaped like a runtime's, written in every
// cgroup hierarchy the container enricher reads (both the v1 name=systemd and the v2 one on a
// hybrid host, the one tree of a pure v2 host), and the state file the runtime would have left
// on disk. No runtime runs: the files follow containerd's published formats.

/** Where cgroups are written: both hierarchies of a hybrid host, or the one of a pure v2 host. */
export const CGROUP_HIERARCHIES: readonly string[] = existsSync('/sys/fs/cgroup/cgroup.controllers')
  ? ['/sys/fs/cgroup']
  : ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((h) => existsSync(join(h, 'cgroup.procs')));

/** The cgroup of a Kubernetes container under the systemd driver: `<top>/kubepods.slice/…/cri-containerd-<id>.scope`. */
export function kubepodsCgroup(top: string, qos: 'burstable' | 'besteffort', podSlice: string, id: string): string {
  return `${top}/kubepods.slice/kubepods-${qos}.slice/kubepods-${qos}-pod${podSlice}.slice/cri-containerd-${id}.scope`;
}

/** Moves `pid` into the cgroup `path` in every hierarchy (created as needed). */
export function placeInCgroup(path: string, pid: number): void {
  for (const h of CGROUP_HIERARCHIES) {
    mkdirSync(join(h, path), { recursive: true });
    writeFileSync(join(h, path, 'cgroup.procs'), `${pid}\n`);
  }
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  rmdirSync(dir);
}

/**
 * Removes the cgroup tree `top` from every hierarchy, deepest first. A cgroup can be removed
 * only once its processes have exited, so each is retried for up to 5 s.
 */
export async function removeCgroups(top: string): Promise<void> {
  for (const h of CGROUP_HIERARCHIES) {
    for (let i = 0; ; i++) {
      try {
        removeTree(join(h, top));
        break;
      } catch (err) {
        if (i >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** A Kubernetes container as containerd's CRI plugin describes it. */
export interface CriContainer {
  id: string;
  container: string;
  image: string;
  pod: string;
  namespace: string;
  podUid: string;
  /** The process's argv in the bundle (default `['node']`). */
  args?: string[];
}

/**
 * Writes the OCI bundle containerd's CRI plugin leaves for a task (containerd 1.7/2.x
 * annotations) under `<stateRoot>/io.containerd.runtime.v2.task/k8s.io/<id>/config.json`.
 */
export function writeContainerdBundle(stateRoot: string, c: CriContainer): void {
  const dir = join(stateRoot, 'io.containerd.runtime.v2.task', 'k8s.io', c.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      ociVersion: '1.1.0',
      process: { args: c.args ?? ['node'], cwd: '/' },
      root: { path: 'rootfs' },
      annotations: {
        'io.kubernetes.cri.container-type': 'container',
        'io.kubernetes.cri.container-name': c.container,
        'io.kubernetes.cri.image-name': c.image,
        'io.kubernetes.cri.sandbox-name': c.pod,
        'io.kubernetes.cri.sandbox-namespace': c.namespace,
        'io.kubernetes.cri.sandbox-uid': c.podUid,
      },
    }),
  );
}
