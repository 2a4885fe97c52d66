import { describe, expect, it } from 'vitest';
import { TimeSlice } from './time-slice.js';

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
});
