import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { errorMessage } from '@sockscope/core';

/** How exports ended: sent, failed after the exporter's retries, or dropped unsent for a newer batch. */
export interface ExportCounts {
  /** Batches the collector accepted. */
  success: number;
  /** Batches that failed after retries or hit the deadline. */
  failure: number;
  /** Batches replaced, unsent, by a newer one while the collector was slow. */
  dropped: number;
}

/** What the queue tells its owner after every export. */
export interface ExportOutcome {
  /** True when the collector accepted the batch. */
  ok: boolean;
  /** Why it failed. */
  error?: string;
}

const SUCCESS = 0;

/**
 * At most one export in flight and one batch waiting. A newer batch replaces a waiting one (the
 * older is counted as dropped): every batch carries cumulative values, so the newest one holds
 * everything an older one would have said, and a slow or absent collector costs two batches of
 * memory, never a growing backlog.
 */
export class ExportQueue {
  /** Outcome counts since the queue was made. */
  readonly counts: ExportCounts = { success: 0, failure: 0, dropped: 0 };
  /** Highest number of batches ever waiting at once (bounded at 1 by design; tests assert on it). */
  maxWaiting = 0;
  private inflight: Promise<void> | undefined;
  private waiting: ResourceMetrics | undefined;

  constructor(
    private readonly exporter: PushMetricExporter,
    private readonly deadlineMs: number,
    private readonly onOutcome: (outcome: ExportOutcome) => void,
  ) {}

  /** Sends the batch now, or queues it behind the export in flight. */
  submit(batch: ResourceMetrics): void {
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

  /** Resolves when nothing is in flight or waiting. */
  async drain(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  private async run(first: ResourceMetrics): Promise<void> {
    let batch: ResourceMetrics | undefined = first;
    while (batch) {
      const outcome = await this.exportOnce(batch);
      if (outcome.ok) this.counts.success++;
      else this.counts.failure++;
      this.onOutcome(outcome);
      batch = this.waiting;
      this.waiting = undefined;
    }
    this.inflight = undefined;
  }

  private exportOnce(batch: ResourceMetrics): Promise<ExportOutcome> {
    return new Promise((resolve) => {
      // The exporter enforces the deadline itself; this guard only keeps a lost callback from
      // wedging the queue for good.
      const guard = setTimeout(() => resolve({ ok: false, error: `export did not finish within ${this.deadlineMs + 1000} ms` }), this.deadlineMs + 1000);
      guard.unref();
      try {
        this.exporter.export(batch, (result) => {
          clearTimeout(guard);
          resolve(result.code === SUCCESS ? { ok: true } : { ok: false, error: errorMessage(result.error ?? 'export failed') });
        });
      } catch (err) {
        clearTimeout(guard);
        resolve({ ok: false, error: errorMessage(err) });
      }
    });
  }
}
