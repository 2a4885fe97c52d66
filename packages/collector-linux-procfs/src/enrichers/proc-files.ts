import { readFileSync, readlinkSync } from 'node:fs';

// Small readers of /proc/<pid>/* files. A process may exit between any two reads: callers
// treat ENOENT and ESRCH as "gone", which is normal, not an error.

/** True for the errno codes a process that exited mid-read produces. */
export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Facts of /proc/<pid>/stat that we use. */
export interface StatFacts {
  /** Parent pid (field 4). */
  ppid: number;
  /** Start time in clock ticks since boot (field 22): with the pid, it names one process for good. */
  startTime: number;
}

/** Parses /proc/<pid>/stat; comm (field 2) may hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseStat(text: string): StatFacts | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): field n is fields[n - 3]
  const ppid = Number(fields[1]);
  const startTime = Number(fields[19]);
  if (!Number.isInteger(ppid) || !Number.isInteger(startTime)) return undefined;
  return { ppid, startTime };
}

/** PPid and real Uid from /proc/<pid>/status. */
export function parseStatus(text: string): { ppid?: number; uid?: number } {
  const out: { ppid?: number; uid?: number } = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('PPid:')) out.ppid = Number.parseInt(line.slice(5).trim(), 10);
    else if (line.startsWith('Uid:')) out.uid = Number.parseInt(line.slice(4).trim(), 10); // real, effective, saved, fs
    if (out.ppid !== undefined && out.uid !== undefined) break;
  }
  return out;
}

/** /proc/<pid>/cmdline as one line: NUL-separated arguments joined by spaces, capped in length. */
export function parseCmdline(buf: Buffer, max = 4096): string {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  const text = buf.toString('utf8', 0, Math.min(end, max));
  return text.replace(/\0/g, ' ');
}

/** The N of a `kind:[N]` link such as `socket:[123]` or `net:[4026531840]`, or -1. */
export function linkInode(target: string, kind: string): number {
  if (!target.startsWith(kind) || target.charCodeAt(kind.length) !== 58 || target.charCodeAt(kind.length + 1) !== 91) return -1;
  const n = Number(target.slice(kind.length + 2, -1));
  return Number.isSafeInteger(n) && n > 0 ? n : -1;
}

/** Reads a small /proc file as text. */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Inode of a /proc/<pid>/ns/net link, or undefined when it cannot be read. */
export function readNetnsInode(path: string): number | undefined {
  try {
    const n = linkInode(readlinkSync(path), 'net');
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
