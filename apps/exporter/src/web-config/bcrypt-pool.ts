import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Which queue a password check waits in. `trusted` is for credentials that passed before (their
 * cached success expired); `untrusted` for everything else, so a flood of wrong passwords can
 * only ever delay other unknown credentials, never a scraper that has logged in before.
 */
export type BcryptLane = 'trusted' | 'untrusted';

/** Sizes of a {@link BcryptPool}. */
export interface BcryptPoolOptions {
  /** Worker threads (default: one per spare core, 1–4). */
  workers?: number;
  /** Untrusted checks waiting or running at once; more are refused with `'busy'` (default 4 per worker). */
  untrustedLimit?: number;
  /** Trusted checks waiting or running at once (default 64). */
  trustedLimit?: number;
}

/** bcrypt comparisons on worker threads, so the event loop keeps serving while they run. */
export interface BcryptPool {
  /** Resolves with whether `password` matches `hash`, or `'busy'` at once when the lane is full. */
  compare(password: string, hash: string, lane: BcryptLane): Promise<boolean | 'busy'>;
  /** Checks waiting or running, per lane. */
  pending(): Record<BcryptLane, number>;
  /** Ends the worker threads (pending checks reject). */
  close(): Promise<void>;
}

interface Job {
  password: string;
  hash: string;
  lane: BcryptLane;
  resolve(ok: boolean): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

// The worker is plain JavaScript run with eval, so it needs no build step of its own; it loads
// bcryptjs by the absolute path the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ password, hash }) => {
  let ok = false, error;
  try { ok = bcrypt.compareSync(password, hash); } catch (err) { error = String(err && err.message || err); }
  parentPort.postMessage({ ok, error });
});
`;

/** Default worker count: the cores the event loop does not need, at least 1 and at most 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * Starts a pool (workers are spawned on first use and hold the process open only while they
 * work). Trusted checks go first; untrusted ones never occupy the last free worker when there
 * are several, and are refused rather than queued beyond their limit.
 */
export function createBcryptPool(opts: BcryptPoolOptions = {}): BcryptPool {
  const size = Math.max(1, opts.workers ?? defaultWorkers());
  const limits: Record<BcryptLane, number> = {
    untrusted: Math.max(1, opts.untrustedLimit ?? 4 * size),
    trusted: Math.max(1, opts.trustedLimit ?? 64),
  };
  const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
  const queues: Record<BcryptLane, Job[]> = { trusted: [], untrusted: [] };
  const counts: Record<BcryptLane, number> = { trusted: 0, untrusted: 0 };
  const slots: Slot[] = [];
  let closed = false;

  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { bcrypt: bcryptPath } }) };
    slot.worker.unref();
    slot.worker.on('message', (m: { ok: boolean; error?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      slot.worker.unref();
      if (job) finish(job, () => (m.error === undefined ? job.resolve(m.ok) : job.reject(new Error(`bcrypt: ${m.error}`))));
      dispatch();
    });
    const lost = (err: unknown) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      const job = slot.job;
      slot.job = undefined;
      if (job) finish(job, () => job.reject(err instanceof Error ? err : new Error(`bcrypt worker exited: ${String(err)}`)));
      if (!closed) dispatch();
    };
    slot.worker.on('error', lost);
    slot.worker.on('exit', (code) => lost(new Error(`bcrypt worker exited with code ${code}`)));
    slots.push(slot);
    return slot;
  };

  const finish = (job: Job, settle: () => void) => {
    counts[job.lane]--;
    settle();
  };

  const running = (lane: BcryptLane) => slots.filter((s) => s.job?.lane === lane).length;

  const next = (): Job | undefined => {
    if (queues.trusted.length > 0) return queues.trusted.shift();
    // keep a worker for trusted checks when there is more than one
    if (queues.untrusted.length > 0 && running('untrusted') < Math.max(1, size - 1)) return queues.untrusted.shift();
    return undefined;
  };

  const dispatch = () => {
    for (;;) {
      const idle = slots.find((s) => s.job === undefined);
      if (!idle && slots.length >= size) return;
      const job = next();
      if (!job) return;
      const slot = idle ?? spawn();
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ password: job.password, hash: job.hash });
    }
  };

  return {
    compare(password, hash, lane) {
      if (closed) return Promise.reject(new Error('bcrypt pool closed'));
      if (counts[lane] >= limits[lane]) return Promise.resolve('busy');
      counts[lane]++;
      return new Promise<boolean | 'busy'>((resolve, reject) => {
        queues[lane].push({ password, hash, lane, resolve, reject });
        dispatch();
      });
    },
    pending: () => ({ ...counts }),
    async close() {
      closed = true;
      for (const lane of ['trusted', 'untrusted'] as const) {
        for (const job of queues[lane].splice(0)) finish(job, () => job.reject(new Error('bcrypt pool closed')));
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
