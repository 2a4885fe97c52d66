import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { errorMessage } from '@sockscope/core';
import { MAX_RETRY_AFTER_MS, type RetryAfterNote, type RetryAfterReader } from './retry-after.js';

/** How exports ended: sent, failed after the exporter's retries, or dropped unsent for a newer batch (or at stop while held). */
export interface ExportCounts {
  /** Batches the collector accepted. */
  success: number;
  /** Batches that failed after retries or hit the deadline. */
  failure: number;
  /** Batches replaced, unsent, by a newer one while the collector was slow or asked to wait, or still held at stop. */
  dropped: number;
}

/** What the queue tells its owner after every export. */
export interface ExportOutcome {
  /** True when the collector accepted the batch. */
  ok: boolean;
  /** Why it failed. */
  error?: string;
  /** Set when the collector answered with `Retry-After`: the batch is held, and nothing is sent, until then (ms since the epoch). */
  heldUntil?: number;
}

const SUCCESS = 0;

/**
 * At most one export in flight and one batch waiting. A newer batch replaces a waiting one (the
 * older is counted as dropped): every batch carries cumulative values, so the newest one holds
 * everything an older one would have said, and a slow or absent collector costs two batches of
 * memory, never a growing backlog.
 *
 * A collector that answers with `Retry-After` (read through `retryAfter`) is not asked again
 * before that time, however far past the export deadline: the batch it refused is held as the
 * waiting one (a newer batch replaces it, counted as dropped) and sent when the wait is over, up
 * to {@link MAX_RETRY_AFTER_MS}. A hold is neither a success nor a failure; `close()` drops a
 * held batch.
 */
export class ExportQueue {
  /** Outcome counts since the queue was made. */
  readonly counts: ExportCounts = { success: 0, failure: 0, dropped: 0 };
  /** Highest number of batches ever waiting at once (bounded at 1 by design; tests assert on it). */
  maxWaiting = 0;
  /** Until when the queue holds its batch for a `Retry-After` (ms since the epoch), or undefined. */
  heldUntil: number | undefined;
  private inflight: Promise<void> | undefined;
  private waiting: ResourceMetrics | undefined;
  private closing = false;
  private endHold: (() => void) | undefined;

  constructor(
    private readonly exporter: PushMetricExporter,
    private readonly deadlineMs: number,
    private readonly onOutcome: (outcome: ExportOutcome) => void,
    private readonly retryAfter?: RetryAfterReader,
  ) {}

  /** Sends the batch now, or queues it behind the export in flight (or the `Retry-After` hold). */
  submit(batch: ResourceMetrics): void {
    if (this.closing) return;
    if (!this.inflight) {
      this.inflight = this.run(batch);
      return;
    }
    if (this.waiting) this.counts.dropped++;
    this.waiting = batch;
    this.maxWaiting = Math.max(this.maxWaiting, 1);
  }

  /** Batches waiting behind the one in flight (0 or 1). */
  get waitingCount(): number {
    return this.waiting ? 1 : 0;
  }

  /** Resolves when nothing is in flight or waiting (a `Retry-After` hold included). */
  async drain(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  /**
   * Stops for good: a batch held for `Retry-After` is dropped (counted) instead of waited for, an
   * export in flight finishes (bounded by the deadline) and a batch waiting behind it is still
   * sent; later batches are refused. Resolves when nothing is in flight.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.endHold?.();
    await this.drain();
  }

  private async run(first: ResourceMetrics): Promise<void> {
    let batch: ResourceMetrics | undefined = first;
    while (batch) {
      const { retryAfterMs, ...outcome } = await this.exportOnce(batch);
      if (retryAfterMs !== undefined && !this.closing) {
        // The refused batch waits for the collector's time unless a newer one already does.
        if (this.waiting) this.counts.dropped++;
        else this.waiting = batch;
        this.maxWaiting = Math.max(this.maxWaiting, 1);
        const until = Date.now() + retryAfterMs;
        this.heldUntil = until;
        this.onOutcome({ ok: false, error: `${outcome.error}: batch held, nothing sent until then`, heldUntil: until });
        await this.hold(until);
        this.heldUntil = undefined;
        if (this.closing && this.waiting) {
          this.counts.dropped++;
          this.waiting = undefined;
        }
      } else {
        if (outcome.ok) this.counts.success++;
        else this.counts.failure++;
        this.onOutcome(outcome);
      }
      batch = this.waiting;
      this.waiting = undefined;
    }
    this.inflight = undefined;
  }

  /** Waits until `until` or until `close()`. */
  private hold(until: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endHold = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      timer.unref();
      this.endHold = done;
    });
  }

  /** One export; `retryAfterMs` is the hold the collector asked for (capped), when it gave one. */
  private exportOnce(batch: ResourceMetrics): Promise<ExportOutcome & { retryAfterMs?: number }> {
    return new Promise((resolve) => {
      // The exporter enforces the deadline itself; this guard only keeps a lost callback from
      // wedging the queue for good.
      const guard = setTimeout(() => resolve({ ok: false, error: `export did not finish within ${this.deadlineMs + 1000} ms` }), this.deadlineMs + 1000);
      guard.unref();
      let note: RetryAfterNote | undefined;
      const send = () =>
        this.exporter.export(batch, (result) => {
          clearTimeout(guard);
          if (result.code === SUCCESS) return resolve({ ok: true });
          const error = errorMessage(result.error ?? 'export failed');
          const wait = note?.ms;
          if (wait === undefined || !(wait > 0)) return resolve({ ok: false, error });
          const retryAfterMs = Math.min(wait, MAX_RETRY_AFTER_MS);
          const capped = wait > MAX_RETRY_AFTER_MS ? ` (capped at ${MAX_RETRY_AFTER_MS / 1000} s)` : '';
          resolve({ ok: false, error: `the collector asked to wait ${seconds(wait)} s (Retry-After)${capped}`, retryAfterMs });
        });
      try {
        if (this.retryAfter) note = this.retryAfter.watch(send);
        else send();
      } catch (err) {
        clearTimeout(guard);
        resolve({ ok: false, error: errorMessage(err) });
      }
    });
  }
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);
