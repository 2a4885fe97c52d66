import { closeSync, openSync, readdirSync, readSync, statfsSync } from 'node:fs';

/** What reading one kernel file gave. */
export type ReadOutcome = { text: string } | { absent: true } | { error: string };

// Errors meaning "this kernel does not offer the file here" rather than "something is wrong".
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);
// sysfs attributes fit the first chunk; /proc/net files with many interfaces grow into larger ones.
const FIRST_CHUNK = 4096;
const CHUNK = 64 * 1024;

// One buffer for the first chunk of every kernel file: it is read and decoded synchronously
// (no await in between), so it is never shared.
const fileBuf = Buffer.allocUnsafe(CHUNK);

function outcomeOf(path: string, err: unknown): ReadOutcome {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (ABSENT.has(code)) return { absent: true };
  return { error: `${path}: ${code || (err as Error).message}` };
}

/**
 * Reads a kernel file whole. A file the kernel does not offer (module not loaded, IPv6 off) is
 * `absent`, not an error; an abort rethrows so the caller stops reading.
 *
 * The first 64 KiB are read synchronously: procfs files are generated in memory, and a
 * synchronous open + read + close of one takes ~10-70 µs here, against one libuv thread-pool hop
 * per call (open, each read, close) and a wait for the pool, which made the ten host files cost
 * ~2 ms of the scrape. A larger file (/proc/net/dev of hundreds of interfaces) goes on one
 * chunk per turn of the event loop, so that no turn waits long.
 *
 * With `files`, a procfs file stays open after its first read and is read again from offset 0
 * (see {@link OpenKernelFiles}); a read of a kept file that fails is retried once on a fresh open.
 */
export async function readKernelFile(path: string, signal: AbortSignal, files?: OpenKernelFiles): Promise<ReadOutcome> {
  signal.throwIfAborted();
  const kept = files?.get(path);
  if (kept !== undefined) {
    try {
      return await readWhole(kept, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      // module unloaded, namespace gone…: read what the path holds now
      files?.forget(path);
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return outcomeOf(path, err);
  }
  let keep = false;
  try {
    const out = await readWhole(fd, signal);
    keep = files?.keep(path, fd) ?? false;
    return out;
  } catch (err) {
    if (signal.aborted) throw err;
    return outcomeOf(path, err);
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** An open file's content from offset 0 (positioned reads, so a kept descriptor needs no seek). */
async function readWhole(fd: number, signal: AbortSignal): Promise<{ text: string }> {
  let used = 0;
  for (;;) {
    const n = readSync(fd, fileBuf, used, CHUNK - used, used);
    if (n === 0) return { text: fileBuf.toString('utf8', 0, used) };
    used += n;
    if (used === CHUNK) break;
  }
  const chunks = [Buffer.from(fileBuf)];
  for (let at = used; ; ) {
    await yieldToEventLoop();
    signal.throwIfAborted();
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, buf, 0, CHUNK, at);
    if (n === 0) break;
    at += n;
    chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

// statfs(2) f_type of procfs
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * The host collector's procfs files (/proc/net/snmp, netstat, dev, sockstat, the conntrack
 * sysctls…), kept open between collections and read again from offset 0: procfs renders a file
 * anew on each read from offset 0 (a seq_file restarts there; a sysctl reads its value then),
 * and the open (a path walk through /proc/self/net) was ~10 µs of each file's ~15-40 µs here.
 *
 * Only files on procfs are kept (statfs once per path): a regular file (a test's fixture tree)
 * can be replaced under its name, so it is opened on each read. A descriptor stays bound to what
 * it was opened on (a network namespace's file, as a fresh open of the same path by this process
 * would be); a read through it that fails (the module unloaded, the file removed) closes it and
 * the path is opened afresh. A file absent when read is not kept: it is tried again next time.
 * At most `maxFiles` are kept; close() closes them, and later reads open and close each file.
 */
export class OpenKernelFiles {
  private readonly fds = new Map<string, number>();
  private readonly notProcfs = new Set<string>();
  private closed = false;

  constructor(private readonly maxFiles = 32) {}

  /** The descriptor kept for `path`, if any. */
  get(path: string): number | undefined {
    return this.fds.get(path);
  }

  /** Keeps `fd`, just read whole from `path`, when it is on procfs and there is room; true when kept (the caller must not close it). */
  keep(path: string, fd: number): boolean {
    if (this.closed || this.fds.size >= this.maxFiles || this.notProcfs.has(path) || this.fds.has(path)) return false;
    let procfs: boolean;
    try {
      procfs = statfsSync(path).type === PROC_SUPER_MAGIC;
    } catch {
      procfs = false;
    }
    if (!procfs) {
      this.notProcfs.add(path);
      return false;
    }
    this.fds.set(path, fd);
    return true;
  }

  /** Closes the descriptor kept for `path`. */
  forget(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }

  /** How many descriptors are kept. */
  get size(): number {
    return this.fds.size;
  }

  /** Closes every kept descriptor; later reads open and close each file. */
  close(): void {
    this.closed = true;
    for (const path of [...this.fds.keys()]) this.forget(path);
  }
}

// One buffer for every attribute read: the reads are synchronous, so it is never shared.
const attrBuf = Buffer.allocUnsafe(FIRST_CHUNK);

/** One attribute file's content read through an open descriptor from offset 0, or undefined. */
function preadText(fd: number): string {
  const n = readSync(fd, attrBuf, 0, attrBuf.length, 0);
  return attrBuf.toString('utf8', 0, n);
}

/** One attribute file opened, read and closed, or undefined when it cannot be. */
function readAttributeOnce(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return preadText(fd);
  } catch {
    return undefined; // unreadable: the fact is absent
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the attribute files of one sysfs directory synchronously. sysfs attributes are
 * in-memory one-liners: reading 23 of them takes ~0.2 ms synchronously against ~1.5 ms through
 * the libuv thread pool (three hops per file). The caller yields between interfaces so the
 * event loop never waits long. Any failure means "no such fact" (EINVAL for the speed of a
 * link that is down, EOPNOTSUPP for drivers without it), as node_exporter treats them.
 */
export function readAttributesSync<F extends string>(dir: string, files: readonly F[]): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  for (const f of files) {
    const text = readAttributeOnce(`${dir}/${f}`);
    if (text !== undefined) out[f] = text;
  }
  return out;
}

// A file slot of a directory kept open: its descriptor, or one of these.
const ABSENT_FILE = -1; // ENOENT when opened: this device has no such attribute
const REOPEN_FILE = -2; // could not be opened for another reason: opened and closed on each read

interface OpenDirectory {
  /** The key file's content when the files were opened (an interface's ifindex). */
  key: string;
  /** One slot per file, in the order of the reader's file list. */
  fds: number[];
}

/**
 * The attribute files of sysfs directories, kept open between collections and read again from
 * offset 0 (sysfs renders an attribute anew on each read from offset 0; the documented way to
 * re-read one). Opening is most of the cost of an attribute: ~7 µs of open and close against
 * ~1 µs for the read, so for the 23 files of an interface ~0.2 ms becomes ~0.03 ms.
 *
 * A directory's files are trusted only while its key file (an interface's `ifindex`), opened
 * and read afresh on every read, says the same as when they were opened: an interface renamed
 * away and another renamed to its name, or deleted and created again, gets its files opened
 * anew. A read answering ENODEV (the device went away since) does the same. At most
 * `maxDirectories` directories are kept open (the descriptors of the rest are not held: each
 * read opens and closes them), and {@link retain} closes those of interfaces no longer listed.
 */
export class OpenAttributeFiles<F extends string> {
  private readonly dirs = new Map<string, OpenDirectory>();
  private closed = false;

  constructor(
    private readonly files: readonly F[],
    private readonly keyFile: F,
    private readonly maxDirectories: number,
  ) {}

  /** Reads every file of `dir`, as {@link readAttributesSync} does: a file that cannot be read is left out. */
  read(dir: string): Partial<Record<F, string>> {
    const key = readAttributeOnce(`${dir}/${this.keyFile}`);
    let open = this.dirs.get(dir);
    if (open && open.key !== key) {
      this.forget(dir, open);
      open = undefined;
    }
    if (!open) {
      if (key === undefined || this.closed || this.dirs.size >= this.maxDirectories) return readAttributesSync(dir, this.files);
      open = this.open(dir, key);
    }
    const out: Partial<Record<F, string>> = {};
    for (let i = 0; i < this.files.length; i++) {
      const f = this.files[i] as F;
      const fd = open.fds[i] as number;
      if (f === this.keyFile) {
        out[f] = key;
      } else if (fd === REOPEN_FILE) {
        const text = readAttributeOnce(`${dir}/${f}`);
        if (text !== undefined) out[f] = text;
      } else if (fd !== ABSENT_FILE) {
        try {
          out[f] = preadText(fd);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENODEV') {
            // the device went away under the open files: read what its name holds now
            this.forget(dir, open);
            return readAttributesSync(dir, this.files);
          }
          // EINVAL, EOPNOTSUPP…: no such fact this time
        }
      }
    }
    return out;
  }

  /** Closes the files of every directory not in `dirs`. */
  retain(dirs: ReadonlySet<string>): void {
    for (const [dir, open] of this.dirs) if (!dirs.has(dir)) this.forget(dir, open);
  }

  /** Closes every file; later reads open and close each file as {@link readAttributesSync} does. */
  close(): void {
    this.closed = true;
    for (const [dir, open] of this.dirs) this.forget(dir, open);
  }

  private open(dir: string, key: string): OpenDirectory {
    const fds = this.files.map((f) => {
      if (f === this.keyFile) return ABSENT_FILE; // read afresh each time
      try {
        return openSync(`${dir}/${f}`, 'r');
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT' ? ABSENT_FILE : REOPEN_FILE;
      }
    });
    const open = { key, fds };
    this.dirs.set(dir, open);
    return open;
  }

  private forget(dir: string, open: OpenDirectory): void {
    this.dirs.delete(dir);
    for (const fd of open.fds) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to release
      }
    }
  }
}

/** Resolves on the next turn of the event loop, so long synchronous work is cut into slices. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lists interface directories under /sys/class/net (symlinks into /sys/devices), or undefined when absent. */
export function listInterfaceDirs(dir: string): string[] | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  // bonding_masters is a plain file beside the interfaces; skip anything that is not a directory or link.
  return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
}
