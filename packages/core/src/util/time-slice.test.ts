import { describe, expect, it } from 'vitest';
import { runStepsSliced, TimeSlice, type Steps } from './time-slice.js';

describe('TimeSlice', () => {
  it('is due once its time has passed, and next() lets the event loop run before the new slice', async () => {
    const slice = new TimeSlice(5);
    expect(slice.due()).toBe(false);
    const until = performance.now() + 6;
    while (performance.now() < until) {
      // busy: the slice runs out
    }
    expect(slice.due()).toBe(true);
    let ran = false;
    setImmediate(() => (ran = true));
    await slice.next();
    expect(ran).toBe(true);
    expect(slice.due()).toBe(false);
  });

  it('restart() begins a new slice without yielding', () => {
    const slice = new TimeSlice(5);
    let ran = false;
    setImmediate(() => (ran = true));
    const until = performance.now() + 6;
    while (performance.now() < until) {
      // busy
    }
    expect(slice.due()).toBe(true);
    slice.restart();
    expect(slice.due()).toBe(false);
    expect(ran).toBe(false);
  });

  it('runStepsSliced calls resume after each turn of the event loop, and gives up where it throws', async () => {
    let done = 0;
    function* steps(): Steps<number> {
      for (let i = 0; i < 5; i++) {
        const until = performance.now() + 3;
        while (performance.now() < until) {
          // busy: the 2 ms slice runs out every step
        }
        done++;
        yield;
      }
      return done;
    }
    let turns = 0;
    expect(await runStepsSliced(steps(), new TimeSlice(2), () => void turns++)).toBe(5);
    expect(turns).toBeGreaterThanOrEqual(4);
    done = 0;
    await expect(runStepsSliced(steps(), new TimeSlice(2), () => {
      throw new Error('closed');
    })).rejects.toThrow('closed');
    expect(done).toBe(1);
  });
});
