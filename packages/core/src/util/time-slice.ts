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

/**
 * Work written as a generator that yields between pieces (every thousand series, say): the
 * same code runs straight through ({@link runSteps}) or lets the event loop run whenever a
 * slice is used up ({@link runStepsSliced}).
 */
export type Steps<R> = Generator<void, R, undefined>;

/** Runs steps to the end without yielding to the event loop. */
export function runSteps<R>(steps: Steps<R>): R {
  let r = steps.next();
  while (r.done !== true) r = steps.next();
  return r.value;
}

/**
 * Runs steps to the end, letting the event loop run between two of them whenever `slice` is due.
 * `resume`, when given, is called after each such turn before the next step: it may throw to give
 * up (an aborted signal, a closed owner), leaving the steps where they stopped.
 */
export async function runStepsSliced<R>(steps: Steps<R>, slice: TimeSlice, resume?: () => void): Promise<R> {
  let r = steps.next();
  while (r.done !== true) {
    if (slice.due()) {
      await slice.next();
      resume?.();
    }
    r = steps.next();
  }
  return r.value;
}
