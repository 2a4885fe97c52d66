import { Worker } from 'node:worker_threads';
import { createFdScanner, type ScanResult } from './fd-scanner.js';

/** Processes with fewer fds than this are read afresh every scan (the reuse check costs two reads per thread). */
export const REUSE_MIN_FDS = 32;

// The worker evaluates the scanner's own source: no file to resolve next to a bundle.
// Its small /proc files (stat, schedstat of every thread of every process checked for reuse,
// thousands a scan) are read into one Buffer kept for the worker's life: fs.readFileSync gives a
// file that reports size 0, as /proc files do, a fresh 64 KiB buffer, malloc'd in this thread's
// arena and freed only when the worker's GC gets to it. At 30,000 connections that arena held
// 31-37 MB (malloc_trim gave 37 MB back), a fifth of the agent's peak RSS.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
let buf = Buffer.allocUnsafeSlow(4096);
const readSmall = (path) => {
  const fd = fs.openSync(path, 'r');
  try {
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.latin1Slice(0, n);
  } finally {
    fs.closeSync(fd);
  }
};
const scan = (${createFdScanner.toString()})({ readdirSync: fs.readdirSync, readlinkSync: fs.readlinkSync, readFileSync: readSmall });
parentPort.on('message', (m) => {
  let r;
  try {
    r = scan(m.procfs, m.minFds);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: (err && err.message) || String(err) });
    return;
  }
  parentPort.postMessage({ id: m.id, result: r }, [r.inodes.buffer, r.pids.buffer]);
});
`;

interface Reply {
  id: number;
  result?: ScanResult;
  error?: string;
}

/**
 * The fd scan off the main thread: one worker_threads worker per process enricher, kept across
 * collections (it holds the previous scan's state for reuse) and unreferenced while idle, so it
 * never keeps the process alive. `scan()` resolves with the owners as a sorted inode array and a
 * pid array, moved (not copied) to this thread; the main thread does no fd work at all.
 */
export class FdScanWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ScanResult) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  constructor(private readonly procfs: string, private readonly minFds = REUSE_MIN_FDS) {}

  /** Scans /proc; rejects when the worker fails (the caller falls back to the main thread) or the signal aborts. */
  scan(signal: AbortSignal): Promise<ScanResult> {
    signal.throwIfAborted();
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ScanResult>((resolve, reject) => {
      const onAbort = (): void => {
        // the worker finishes this scan anyway (its state stays valid); its reply is dropped
        this.settle(id);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => (signal.removeEventListener('abort', onAbort), resolve(r)),
        reject: (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
      });
      worker.ref();
      worker.postMessage({ id, procfs: this.procfs, minFds: this.minFds });
    });
  }

  /** True once the worker could not start or died: scans go to the main thread from then on. */
  get failed(): Error | undefined {
    return this.failure;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error('process enricher closed'));
    if (w) await w.terminate();
  }

  private settle(id: number) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    return p;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // a small young generation: the scan's garbage is short-lived strings, and a worker's default
    // would add tens of MB to the agent's peak RSS. A V8 flag wins over this limit: under the CLI,
    // whose --max-semi-space-size=4 applies to every isolate, the worker's semi-spaces are 4 MB as
    // the main thread's (measured: its new space grows to 8 MB at 30,000 connections); the limit
    // holds for a library user who runs Node without that flag
    const w = new Worker(SOURCE, { eval: true, name: 'sockscope-fd-scan', resourceLimits: { maxYoungGenerationSizeMb: 6, maxOldGenerationSizeMb: 128 } });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.settle(m.id);
      if (!p) return;
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(m.error ?? 'fd scan failed'));
    });
    const die = (err: Error): void => {
      this.failure = err;
      this.worker = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
    };
    w.on('error', die);
    w.on('exit', (code) => {
      if (this.worker === w) die(new Error(`fd scan worker exited (code ${code})`));
    });
    this.worker = w;
    return w;
  }
}
