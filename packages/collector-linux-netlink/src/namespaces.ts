import { readdirSync, statSync } from 'node:fs';

/** A network namespace to dump. */
export interface NamespaceTarget {
  /** Inode of the namespace (its id, as `ls -i /run/netns/x` or `readlink /proc/PID/ns/net` shows). */
  inode: number;
  /** File to open for setns; absent for the agent's own namespace. */
  path?: string;
  /** Name under /run/netns, when it has one. */
  name?: string;
}

/** Which namespaces the collector dumps: its own, every one in use, or named ones. */
export type NamespaceSelection = 'own' | 'all' | readonly string[];

/** Where `ip netns add` puts named namespaces. */
export const NETNS_RUN_DIR = '/run/netns';

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The agent's own network namespace (of its main thread). */
export function ownNamespace(): NamespaceTarget {
  return { inode: inodeOf('/proc/thread-self/ns/net') ?? inodeOf('/proc/self/ns/net') ?? 0 };
}

/** Names under /run/netns by namespace inode. */
function namedNamespaces(): Map<number, string> {
  const names = new Map<number, string>();
  let entries: string[];
  try {
    entries = readdirSync(NETNS_RUN_DIR);
  } catch {
    return names;
  }
  for (const name of entries) {
    const ino = inodeOf(`${NETNS_RUN_DIR}/${name}`);
    if (ino !== undefined && !names.has(ino)) names.set(ino, name);
  }
  return names;
}

/**
 * Resolves the selection into namespaces, own first. `all` walks /proc/PID/ns/net and
 * /run/netns and keeps one entry per inode. Names that do not exist come back in `missing`.
 */
export function resolveNamespaces(selection: NamespaceSelection): { targets: NamespaceTarget[]; missing: string[] } {
  const own = ownNamespace();
  if (selection === 'own') return { targets: [own], missing: [] };
  const names = namedNamespaces();
  if (selection === 'all') {
    const seen = new Map<number, NamespaceTarget>([[own.inode, own]]);
    const ownName = names.get(own.inode);
    if (ownName) own.name = ownName;
    for (const [ino, name] of names) if (!seen.has(ino)) seen.set(ino, { inode: ino, path: `${NETNS_RUN_DIR}/${name}`, name });
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    } catch {
      // no /proc: only the named ones
    }
    for (const pid of pids) {
      const path = `/proc/${pid}/ns/net`;
      const ino = inodeOf(path);
      if (ino !== undefined && !seen.has(ino)) seen.set(ino, { inode: ino, path });
    }
    return { targets: [...seen.values()], missing: [] };
  }
  const targets: NamespaceTarget[] = [];
  const missing: string[] = [];
  for (const name of selection) {
    const path = `${NETNS_RUN_DIR}/${name}`;
    const ino = inodeOf(path);
    if (ino === undefined) missing.push(name);
    else if (ino === own.inode) targets.push({ ...own, name });
    else if (!targets.some((t) => t.inode === ino)) targets.push({ inode: ino, path, name });
  }
  return { targets, missing };
}
