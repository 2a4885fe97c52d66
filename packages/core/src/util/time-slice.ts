/**
 * Cuts long synchronous work into slices: `due()` is true once `sliceMs` have passed since the
 * slice began, and `next()` lets the event loop run (one setImmediate turn) and begins the next
 * slice. So a dump, an fd scan or a big exposition does not keep the agent from answering.
 */
export class TimeSlice {
  private start = performance.now();

  constructor(readonly sliceMs: number) {}

  /** True when this slice has used up its time. */
  due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }

  /** Begins a new slice without yielding (after waiting some other way). */
  restart(): void {
    this.start = performance.now();
  }

  /** Yields to the event loop, then begins a new slice. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}
