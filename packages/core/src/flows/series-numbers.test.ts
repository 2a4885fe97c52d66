import { describe, expect, it } from 'vitest';
import { SLAB_SERIES, SeriesNumbers } from './series.js';

describe('SeriesNumbers (series numbers as views into shared arrays)', () => {
  it('hands out zeroed views that never overlap, across more than one shared array', () => {
    const numbers = new SeriesNumbers(5);
    const views = Array.from({ length: SLAB_SERIES * 2 + 3 }, () => numbers.take());
    views.forEach((v, i) => {
      expect(v.length).toBe(5);
      expect([...v]).toEqual([0, 0, 0, 0, 0]);
      v.fill(i + 1);
    });
    // each still holds only what was written into it
    views.forEach((v, i) => expect([...v]).toEqual([i + 1, i + 1, i + 1, i + 1, i + 1]));
    expect(new Set(views.map((v) => v.buffer)).size).toBe(3);
  });

  it('takes a forgotten view back and hands it out again zeroed, before growing', () => {
    const numbers = new SeriesNumbers(3);
    const a = numbers.take();
    const b = numbers.take();
    a.set([7, 8, 9]);
    b.set([1, 2, 3]);
    numbers.give(a);
    expect(numbers.spare).toBe(1);
    const c = numbers.take();
    expect(c).toBe(a);
    expect([...c]).toEqual([0, 0, 0]);
    expect([...b]).toEqual([1, 2, 3]);
    expect(numbers.spare).toBe(0);
  });
});
