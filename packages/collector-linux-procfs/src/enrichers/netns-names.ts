import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Network namespaces have no name in the kernel, only an inode on nsfs (what
// `readlink /proc/<pid>/ns/net` prints as net:[<inode>]). The names people know are those of
// iproute2: `ip netns add NAME` bind-mounts the namespace on /run/netns/NAME, so stat()ing that
// file gives the namespace's inode. Matching a socket owner's namespace inode against these
// names costs one map lookup; the host's own namespace is called 'system' (as netdata does), and
// any other (a container's, a pod's) is left to the caller, who knows the container.

/** A named network namespace: its `ip netns` name and its nsfs inode. */
export interface NetnsEntry {
  /** The file name under /run/netns (the `ip netns` name). */
  name: string;
  /** The namespace's inode on nsfs, as in `net:[<inode>]`. */
  inode: number;
}

/**
 * The name of a network namespace inode: 'system' for the host's own, its `ip netns` name, or
 * undefined when it has neither (a container's or pod's namespace, or one that went away).
 */
export type NetnsResolver = (inode: number) => string | undefined;

/** The name given to the host's (the agent's initial) network namespace. */
export const HOST_NETNS_NAME = 'system';

/**
 * Builds a resolver from named namespaces and the inode of the host's namespace.
 *
 * The host's namespace is 'system' even when someone also named it (`ip netns attach NAME 1`),
 * so that the same traffic is labelled the same on every host. When one namespace has several
 * names (bind-mounted twice), the alphabetically first is used so the label does not depend on
 * directory order.
 */
export function netnsNames(entries: readonly NetnsEntry[], hostInode: number): NetnsResolver {
  const byInode = new Map<number, string>();
  for (const { name, inode } of entries) {
    const seen = byInode.get(inode);
    if (seen === undefined || name < seen) byInode.set(inode, name);
  }
  return (inode) => (inode === hostInode ? HOST_NETNS_NAME : byInode.get(inode));
}

/**
 * Reads the named network namespaces of `runDir` (iproute2's /run/netns): each entry's name and
 * the inode stat() finds through its bind mount.
 *
 * A missing directory means no namespace was ever named: an empty list, not an error. An entry
 * that cannot be stat()ed (removed meanwhile, no permission) is skipped. An entry whose mount is
 * gone (`ip netns del` interrupted, or a namespace file left after a reboot) is a plain empty
 * file on tmpfs: its inode is the tmpfs file's, not a namespace's, so entries are kept only when
 * they are on the same device as `<procfsPath>/self/ns/net` (nsfs has one device for all
 * namespaces). If that cannot be read, all stat()able entries are kept. Any other failure to list
 * the directory (EACCES, ENOTDIR) is thrown, for the caller to report once.
 */
export async function readNetnsNames(runDir = '/run/netns', procfsPath = '/proc'): Promise<NetnsEntry[]> {
  return readNetnsNamesSync(runDir, procfsPath);
}

/**
 * {@link readNetnsNames} done synchronously, which it is underneath: a readdir and one stat per
 * entry, each a few µs, where going through libuv's pool waited for it three times in a row (and
 * its threads lack the capabilities the agent raised on the main thread). For a caller that reads
 * them on every collection (the host collector's address family). It throws (ENOTDIR, EACCES)
 * where the other rejects.
 */
export function readNetnsNamesSync(runDir = '/run/netns', procfsPath = '/proc'): NetnsEntry[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let nsfsDev: number | undefined;
  try {
    nsfsDev = statSync(join(procfsPath, 'self/ns/net')).dev;
  } catch {
    // no procfs to compare with: every stat()able entry is kept
  }
  const entries: NetnsEntry[] = [];
  for (const name of names) {
    try {
      const s = statSync(join(runDir, name), { throwIfNoEntry: false });
      if (s === undefined || (nsfsDev !== undefined && s.dev !== nsfsDev)) continue;
      entries.push({ name, inode: s.ino });
    } catch {
      // not ours to read
    }
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
