import { readdirSync, readlinkSync } from 'node:fs';
import { TimeSlice } from '@sockscope/core';
import { linkInode } from './proc-files.js';

/** What one pass over /proc/*\/fd found. */
export interface SocketOwners {
  /** Socket inode → owning pid, for every socket held by a process. */
  owners: Map<number, number>;
  /** Processes whose fd directory we were not allowed to read (EACCES/EPERM). */
  denied: number;
  /** Processes scanned. */
  scanned: number;
}

// Yield to the event loop after this much synchronous work, so a scrape of a busy host (or of
// one process holding tens of thousands of sockets) does not freeze the agent.
const SLICE_MS = 4;
// How often, in fds, the time is looked at inside one process's fd directory.
const FDS_PER_CHECK = 256;

/**
 * Maps every socket inode to its pid with one pass over every /proc/<pid>/fd (readlink
 * `socket:[N]`). It runs before the collectors read, so it cannot know which sockets they will
 * find. An inode held by pid 1 and another process goes to the other one: systemd keeps the
 * listening sockets of socket-activated services open, and the service is the real owner.
 */
export async function scanSocketOwners(procfs: string, signal: AbortSignal): Promise<SocketOwners> {
  const owners = new Map<number, number>();
  let denied = 0;
  let scanned = 0;
  signal.throwIfAborted();
  const entries = readdirSync(procfs);
  const slice = new TimeSlice(SLICE_MS);
  const maybeYield = async (): Promise<void> => {
    if (!slice.due()) return;
    await slice.next();
    signal.throwIfAborted();
  };
  for (let i = 0; i < entries.length; i++) {
    await maybeYield();
    const name = entries[i] ?? '';
    const c = name.charCodeAt(0);
    if (c < 49 || c > 57) continue; // pids only (no leading zero)
    const pid = Number(name);
    const dir = `${procfs}/${name}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied++;
      // anything else (ENOENT/ESRCH: the process exited) only means this pid owns nothing now
      continue;
    }
    scanned++;
    for (let k = 0; k < fds.length; k++) {
      if (k > 0 && k % FDS_PER_CHECK === 0) await maybeYield();
      const fd = fds[k] as string;
      let target: string;
      try {
        target = readlinkSync(`${dir}/${fd}`);
      } catch {
        continue; // closed since readdir, or the process exited
      }
      const inode = linkInode(target, 'socket');
      if (inode < 0) continue;
      const prev = owners.get(inode);
      if (prev === undefined || (prev === 1 && pid !== 1)) owners.set(inode, pid);
    }
  }
  return { owners, denied, scanned };
}
