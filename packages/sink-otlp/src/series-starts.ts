/**
 * Start times of cumulative series. A series seen for the first time, or whose cumulative value
 * went down (a counter reset: the socket was replaced, an interface re-created), starts now.
 * Only series of the latest export are remembered, so ended per-flow series are forgotten
 * instead of piling up; a flow that comes back starts afresh.
 */
export class SeriesStarts {
  private previous = new Map<string, { startMs: number; value: number }>();
  private current = new Map<string, { startMs: number; value: number }>();

  /** Start time, ms, of the series `key` now at `value`; a drop counts as a reset only when `monotonic`. */
  startOf(key: string, value: number, nowMs: number, monotonic: boolean): number {
    const seen = this.current.get(key) ?? this.previous.get(key);
    const reset = monotonic && seen !== undefined && value < seen.value;
    const startMs = seen === undefined || reset ? nowMs : seen.startMs;
    this.current.set(key, { startMs, value });
    return startMs;
  }

  /** Ends an export: series not looked up since the last call are forgotten. */
  commit(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  /** How many series are remembered (for tests and /health). */
  get size(): number {
    return this.previous.size;
  }
}
