import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The destroy-event reader: a worker thread that waits in poll(2) on the subscribed sock_diag
 * sockets and receives their datagrams with recv(2), both through koffi, so the main thread
 * never blocks and libuv's thread pool is never used. It does not parse: datagrams cross to the
 * main thread in batches (transferred ArrayBuffers), where the package's pure parsers read them.
 *
 * The worker runs {@link readerMain} as an eval'd script: it must stay self-contained (no
 * imports, no outer variables; `load` is the worker's `require`), and small.
 */

// Slots of the shared control array (Int32Array over a SharedArrayBuffer).
/** Set to 1 by the main thread: the worker leaves its loop at the next poll timeout. */
const STOP = 0;
/** Batches posted and not yet taken by the main thread. */
const INFLIGHT = 1;
/** Datagrams the worker dropped because `maxInflight` batches were already waiting. */
const DROPPED = 2;
/** recv() calls that returned ENOBUFS: the kernel dropped events (socket receive buffer full). */
const ENOBUFS = 3;
/** Datagrams received. */
const DATAGRAMS = 4;
/** Datagrams longer than the receive buffer (their tail was lost). */
const TRUNCATED = 5;
const SLOTS = 6;

/** Batch layout, per datagram: u32 socket index, u32 length, f64 ms since epoch it was read, bytes (padded to 8). */
export const BATCH_ENTRY_HEADER = 16;

/** What the worker needs; everything is plain data so it can cross to the thread. */
interface ReaderData {
  koffiPath: string;
  fds: number[];
  control: SharedArrayBuffer;
  batchBytes: number;
  datagramBytes: number;
  maxInflight: number;
  pollMs: number;
  flushMs: number;
}

/** Messages the worker posts. */
type ReaderMessage =
  | { batch: ArrayBuffer; used: number; count: number }
  | { error: { index: number; step: string; errno: number; errnoName: string } };

// The worker's whole program, typed loosely (`any`) because it cannot import types.
function readerMain(load: (id: string) => any): void {
  const { parentPort, workerData } = load('node:worker_threads');
  const data = workerData as ReaderData;
  const koffi = load(data.koffiPath);
  const lib = koffi.load('libc.so.6');
  const poll = lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)');
  const recv = lib.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)');
  const E = koffi.os.errno;
  const ctl = new Int32Array(data.control);
  const fds = data.fds;
  const live = fds.map(() => true);
  const pfds = Buffer.alloc(8 * fds.length);
  const scratch = Buffer.alloc(data.datagramBytes);
  const MSG_DONTWAIT = 0x40;
  const MSG_TRUNC = 0x20;
  const POLLIN = 0x1;
  const POLLNVAL = 0x20;
  let batch: Buffer | undefined;
  let used = 0;
  let count = 0;
  let firstAt = 0;
  const names: Record<number, string> = {};
  for (const k of Object.keys(E)) names[E[k]] ??= k;
  const fail = (index: number, step: string, errno: number): void => {
    if (index >= 0) live[index] = false;
    parentPort.postMessage({ error: { index, step, errno, errnoName: names[errno] ?? `errno ${errno}` } });
  };
  const flush = (): void => {
    if (count === 0 || !batch) return;
    if (Atomics.load(ctl, 1) >= data.maxInflight) {
      Atomics.add(ctl, 2, count); // INFLIGHT full: drop and count, never grow
    } else {
      Atomics.add(ctl, 1, 1);
      const ab = batch.buffer as ArrayBuffer;
      parentPort.postMessage({ batch: ab, used, count }, [ab]);
      batch = undefined;
    }
    used = 0;
    count = 0;
  };
  const drain = (i: number): void => {
    // Bounded per round, so that one busy namespace cannot starve the others.
    for (let k = 0; k < 1024; k++) {
      const n = Number(recv(fds[i], scratch, scratch.length, MSG_DONTWAIT | MSG_TRUNC));
      if (n < 0) {
        const e = koffi.errno();
        if (e === E.ENOBUFS) {
          Atomics.add(ctl, 3, 1);
          continue;
        }
        if (e !== E.EAGAIN && e !== E.EINTR) fail(i, 'recv', e);
        return;
      }
      const readAt = Date.now();
      Atomics.add(ctl, 4, 1);
      let len = n;
      if (len > scratch.length) {
        Atomics.add(ctl, 5, 1);
        len = scratch.length;
      }
      const need = 16 + ((len + 7) & ~7);
      if (used + need > data.batchBytes) flush();
      batch ??= Buffer.from(new ArrayBuffer(data.batchBytes));
      batch.writeUInt32LE(i, used);
      batch.writeUInt32LE(len, used + 4);
      batch.writeDoubleLE(readAt, used + 8);
      scratch.copy(batch, used + 16, 0, len);
      if (count === 0) firstAt = readAt;
      used += need;
      count++;
    }
  };
  while (Atomics.load(ctl, 0) === 0) {
    for (let i = 0; i < fds.length; i++) {
      pfds.writeInt32LE(live[i] ? (fds[i] ?? -1) : -1, i * 8); // a negative fd is skipped by poll
      pfds.writeInt16LE(POLLIN, i * 8 + 4);
      pfds.writeInt16LE(0, i * 8 + 6);
    }
    // A batch waits at most flushMs for company: one message per event would cost the main
    // thread more than parsing it.
    const wait = count > 0 ? Math.max(0, data.flushMs - (Date.now() - firstAt)) : data.pollMs;
    const r = Number(poll(pfds, fds.length, wait));
    if (r < 0) {
      const e = koffi.errno();
      if (e === E.EINTR) continue;
      fail(-1, 'poll', e);
      break;
    }
    for (let i = 0; r > 0 && i < fds.length; i++) {
      const revents = pfds.readInt16LE(i * 8 + 6);
      if (revents & POLLNVAL) fail(i, 'poll', E.EBADF);
      else if (revents) drain(i); // POLLIN, or POLLERR: the pending ENOBUFS comes out of recv
    }
    if (count > 0 && (used * 2 > data.batchBytes || Date.now() - firstAt >= data.flushMs)) flush();
  }
  flush();
}

/** Tuning and callbacks of {@link startDestroyReader}. */
export interface DestroyReaderOptions {
  /** Subscribed sock_diag sockets; a batch entry names one by its index here. */
  fds: readonly number[];
  /** A batch of datagrams (layout: {@link BATCH_ENTRY_HEADER}); called on the main thread. */
  onBatch(batch: Buffer, count: number): void;
  /** A socket (index, or -1 for poll itself) failed and is no longer read. */
  onError(index: number, step: string, errnoName: string): void;
  /** The worker itself failed (could not load koffi…); nothing more is read. */
  onFailure(err: Error): void;
  /** Batches allowed to wait for the main thread; beyond, datagrams are dropped and counted. */
  maxInflight: number;
  /** Bytes per batch (at least `datagramBytes` + 16). */
  batchBytes: number;
  /** Receive buffer: the largest datagram read whole. */
  datagramBytes: number;
  /** poll() timeout: how long stop() may wait for the worker, ms. */
  pollMs: number;
  /** Longest a read datagram waits in the worker for others to share its batch, ms. */
  flushMs: number;
}

/** Counters the worker keeps (read without stopping it). */
export interface DestroyReaderCounters {
  datagrams: number;
  dropped: number;
  enobufs: number;
  truncated: number;
}

/** A running reader. */
export interface DestroyReaderHandle {
  counters(): DestroyReaderCounters;
  /** Stops the worker (at its next poll timeout) and resolves once the thread has exited. */
  stop(): Promise<void>;
}

/** Starts the reader worker on `fds`. The fds stay owned by the caller: close them after stop(). */
export function startDestroyReader(opts: DestroyReaderOptions): DestroyReaderHandle {
  const control = new SharedArrayBuffer(SLOTS * 4);
  const ctl = new Int32Array(control);
  const workerData: ReaderData = {
    koffiPath: createRequire(import.meta.url).resolve('koffi'),
    fds: [...opts.fds],
    control,
    batchBytes: Math.max(opts.batchBytes, opts.datagramBytes + BATCH_ENTRY_HEADER),
    datagramBytes: opts.datagramBytes,
    maxInflight: opts.maxInflight,
    pollMs: opts.pollMs,
    flushMs: opts.flushMs,
  };
  const worker = new Worker(`(${readerMain.toString()})(require)`, { eval: true, workerData, name: 'sockscope-destroy-events' });
  // The agent closes the source; a library user who forgets must still be able to exit.
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => ((exited = true), resolve())));
  worker.on('message', (m: ReaderMessage) => {
    if ('batch' in m) {
      Atomics.sub(ctl, INFLIGHT, 1);
      opts.onBatch(Buffer.from(m.batch, 0, m.used), m.count);
    } else opts.onError(m.error.index, m.error.step, m.error.errnoName);
  });
  worker.on('error', (err) => opts.onFailure(err));
  return {
    counters: () => ({
      datagrams: Atomics.load(ctl, DATAGRAMS),
      dropped: Atomics.load(ctl, DROPPED),
      enobufs: Atomics.load(ctl, ENOBUFS),
      truncated: Atomics.load(ctl, TRUNCATED),
    }),
    async stop() {
      Atomics.store(ctl, STOP, 1);
      // Unreferenced, the worker would not keep the process alive until its exit: a caller
      // awaiting close() as the last thing it does would find its await never settled.
      if (!exited) worker.ref();
      await exit;
    },
  };
}
