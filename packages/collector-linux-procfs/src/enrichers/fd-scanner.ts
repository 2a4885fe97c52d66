import { openSync, readdirSync, readlinkSync, readSync, closeSync } from 'node:fs';
import type { Steps } from '@sockscope/core';

/** The fs calls the scanner makes (node:fs and {@link createSmallFileReader}; injectable in tests). */
export interface ScannerFs {
  readdirSync(path: string): string[];
  readlinkSync(path: string): string;
  readFileSync(path: string, encoding: 'latin1'): string;
}

/** One scan's socket owners: inodes sorted ascending, `pids[i]` the owner of `inodes[i]`. */
export interface ScanResult {
  inodes: Float64Array;
  pids: Int32Array;
  /** Processes whose fd directory we were not allowed to read (EACCES/EPERM). */
  denied: number;
  /** Processes whose sockets are in the result (read afresh or reused). */
  scanned: number;
  /** Of those, processes whose sockets were reused from the previous scan without reading their fds. */
  reused: number;
  /** readlink calls made. */
  readlinks: number;
}

/** Processes with fewer fds than this are read afresh every scan (the reuse check costs two reads per thread). */
export const REUSE_MIN_FDS = 32;

/** How many fds of one process go between two steps (the result's assembly steps every 16,384 sockets). */
const PER_STEP = 256;

/**
 * A reader of small /proc files (stat, schedstat: thousands a scan) into one Buffer kept for the
 * reader's life. `fs.readFileSync` gives a file that reports size 0, as /proc files do, a fresh
 * 64 KiB buffer, malloc'd and freed only when the GC gets to it: at 30,000 connections those
 * buffers held 31-41 MB of the agent's RSS before they were kept.
 */
export function createSmallFileReader(): (path: string, encoding: 'latin1') => string {
  let buf = Buffer.allocUnsafeSlow(4096);
  return (path) => {
    const fd = openSync(path, 'r');
    try {
      let n = 0;
      for (;;) {
        if (n === buf.length) {
          const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
          buf.copy(bigger, 0, 0, n);
          buf = bigger;
        }
        const got = readSync(fd, buf, n, buf.length - n, null);
        if (got === 0) break;
        n += got;
      }
      return buf.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
  };
}

/** The real /proc, read with node:fs and a kept buffer for the small files. */
export function procScannerFs(): ScannerFs {
  return { readdirSync: (path) => readdirSync(path), readlinkSync: (path) => readlinkSync(path), readFileSync: createSmallFileReader() };
}

/**
 * Builds a stateful fd scanner: `scan(procfs, minFds)` maps every socket inode to its pid with
 * one pass over /proc/<pid>/fd (readlink `socket:[N]`), and reuses what the previous scan learned
 * for a process that has not run since: same start time, same threads, and every thread's
 * `schedstat` (run time in ns and times scheduled) unchanged and none of them running now. A
 * process's fd table changes only when one of its threads runs (open, accept, close, dup2,
 * receiving SCM_RIGHTS, io_uring workers are its threads too), so such a process holds the same
 * sockets at the same fds; the same fd *names* alone would not do (a closed fd's number is given
 * to the next socket opened). Only processes that had at least `minFds` fds last time are checked
 * so (the check reads two files per thread); others are read afresh every time. The one case this
 * cannot see is a file table shared with another process (clone(CLONE_FILES) without
 * CLONE_THREAD), which no common runtime uses.
 *
 * An inode held by pid 1 and another process goes to the other one: systemd keeps the listening
 * sockets of socket-activated services open, and the service is the real owner.
 *
 * The scan is {@link Steps}: it yields after every process and every 256 fds, so that the agent
 * runs it on its main thread in slices (`runStepsSliced`) and keeps answering meanwhile. Scans
 * must not overlap (the caller runs one at a time); one abandoned midway leaves the state valid.
 */
export function createFdScanner(fs: ScannerFs): (procfs: string, minFds: number) => Steps<ScanResult> {
  interface Known {
    /** '' when it cannot be reused next time. */
    signature: string;
    inodes: number[];
    fds: number;
  }
  const known = new Map<number, Known>();
  // the sort keys, kept across scans: a new buffer per scan would pile up outside the JS heap
  // (ArrayBuffers are external memory, collected late)
  let keyBuffer = new Float64Array(0);

  /** Start time, thread ids and their schedstat; undefined when a thread runs now or a file is missing. */
  const signature = (procfs: string, pid: number): string | undefined => {
    try {
      const stat = fs.readFileSync(`${procfs}/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let sig = fields[19] ?? '';
      const task = `${procfs}/${pid}/task`;
      const tids = fs.readdirSync(task);
      for (let i = 0; i < tids.length; i++) {
        const tid = tids[i] as string;
        const tstat = fs.readFileSync(`${task}/${tid}/stat`, 'latin1');
        const state = tstat.charCodeAt(tstat.lastIndexOf(')') + 2);
        if (state === 82) return undefined; // 'R': running or runnable now
        sig += ` ${tid}:${fs.readFileSync(`${task}/${tid}/schedstat`, 'latin1').trimEnd()}`;
      }
      return sig;
    } catch {
      return undefined; // exited, or no schedstat (CONFIG_SCHED_INFO off): read afresh
    }
  };

  return function* scan(procfs, minFds) {
    // every process's sockets, in /proc order: [pid, inodes] (a reused process's list is the old one)
    const held: { pid: number; inodes: number[] }[] = [];
    let total = 0;
    const alive = new Set<number>();
    let denied = 0;
    let scanned = 0;
    let reused = 0;
    let readlinks = 0;
    const entries = fs.readdirSync(procfs);
    for (let i = 0; i < entries.length; i++) {
      const name = entries[i] as string;
      const c = name.charCodeAt(0);
      yield;
      if (c < 49 || c > 57) continue; // pids only (no leading zero)
      const pid = Number(name);
      alive.add(pid);
      const prev = known.get(pid);
      // read before the fds: whatever changes after this point changes the signature too
      const sig = prev === undefined || prev.fds >= minFds ? signature(procfs, pid) : undefined;
      if (prev !== undefined && sig !== undefined && prev.signature !== '' && prev.signature === sig) {
        if (prev.inodes.length > 0) held.push({ pid, inodes: prev.inodes });
        total += prev.inodes.length;
        scanned++;
        reused++;
        continue;
      }
      const dir = `${procfs}/${name}/fd`;
      let fds: string[];
      try {
        fds = fs.readdirSync(dir);
      } catch (err) {
        known.delete(pid);
        const code = (err as { code?: string }).code;
        if (code === 'EACCES' || code === 'EPERM') denied++;
        // anything else (ENOENT/ESRCH: the process exited) only means this pid owns nothing now
        continue;
      }
      scanned++;
      const inodes: number[] = [];
      for (let k = 0; k < fds.length; k++) {
        if (k > 0 && k % PER_STEP === 0) yield;
        let target: string;
        readlinks++;
        try {
          target = fs.readlinkSync(`${dir}/${fds[k] as string}`);
        } catch {
          continue; // closed since readdir, or the process exited
        }
        // socket:[N]
        if (target.charCodeAt(0) !== 115 || !target.startsWith('socket:[')) continue;
        const inode = Number(target.slice(8, -1));
        if (!Number.isSafeInteger(inode) || inode <= 0) continue;
        inodes.push(inode);
      }
      if (inodes.length > 0) held.push({ pid, inodes });
      total += inodes.length;
      known.set(pid, fds.length >= minFds ? { signature: sig ?? '', inodes, fds: fds.length } : { signature: '', inodes: [], fds: fds.length });
    }
    for (const pid of known.keys()) if (!alive.has(pid)) known.delete(pid);

    // Sort (inode, position in /proc order) pairs as one double each, natively: inode × 2^21 +
    // position is exact below 2^53 for 32-bit inode numbers (what the kernel gives sockets) and
    // up to 2M processes holding sockets; anything larger takes a Map.
    const SHIFT = 2097152; // 2^21
    let narrow = held.length < SHIFT;
    if (keyBuffer.length < total) keyBuffer = new Float64Array(Math.ceil(total * 1.25));
    const keys = keyBuffer.subarray(0, total);
    let j = 0;
    for (let h = 0; h < held.length && narrow; h++) {
      yield;
      const list = (held[h] as { inodes: number[] }).inodes;
      for (let k = 0; k < list.length; k++) {
        const inode = list[k] as number;
        if (inode > 0xffffffff) {
          narrow = false;
          break;
        }
        keys[j++] = inode * SHIFT + h;
      }
    }
    const outInodes = new Float64Array(total);
    const outPids = new Int32Array(total);
    let n = 0;
    // an inode held by pid 1 and another process goes to the other one (the first in /proc order)
    if (narrow) {
      keys.sort();
      for (let k = 0; k < total; ) {
        if ((n & 0x3fff) === 0) yield;
        const inode = Math.floor((keys[k] as number) / SHIFT);
        let owner = -1;
        for (; k < total && Math.floor((keys[k] as number) / SHIFT) === inode; k++) {
          const pid = (held[(keys[k] as number) - inode * SHIFT] as { pid: number }).pid;
          if (owner === -1 || (owner === 1 && pid !== 1)) owner = pid;
        }
        outInodes[n] = inode;
        outPids[n++] = owner;
      }
    } else {
      const owners = new Map<number, number>();
      for (const { pid, inodes } of held) {
        for (const inode of inodes) {
          const prev = owners.get(inode);
          if (prev === undefined || (prev === 1 && pid !== 1)) owners.set(inode, pid);
        }
      }
      for (const inode of owners.keys()) outInodes[n++] = inode;
      outInodes.subarray(0, n).sort();
      for (let k = 0; k < n; k++) outPids[k] = owners.get(outInodes[k] as number) as number;
    }
    // copy only when repeats made it shorter
    const inodes = n === total ? outInodes : outInodes.slice(0, n);
    const pids = n === total ? outPids : outPids.slice(0, n);
    return { inodes, pids, denied, scanned, reused, readlinks };
  };
}

/** The owner of `inode` in a scan result (binary search), or undefined. */
export function ownerOf(inodes: Float64Array, pids: Int32Array, inode: number): number | undefined {
  let lo = 0;
  let hi = inodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = inodes[mid] as number;
    if (v === inode) return pids[mid];
    if (v < inode) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
