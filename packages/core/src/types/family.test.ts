import { describe, expect, it } from 'vitest';
import { columnarFamily, sampleColumns, sampleCount, type Labels, type MetricFamily } from './family.js';

const a: Labels = { src: '10.0.0.1' };
const b: Labels = { src: '10.0.0.2' };
const make = (): MetricFamily => columnarFamily({ name: 'x_total', help: 'h', type: 'counter' }, { labels: [a, b], values: [3, 0.25], length: 2 });

describe('columnar families', () => {
  it('keeps its columns for sinks that read them, and counts without making samples', () => {
    const f = make();
    expect(sampleCount(f)).toBe(2);
    expect(sampleColumns(f)?.labels).toEqual([a, b]);
    // still an accessor: nothing has read samples
    expect(typeof Object.getOwnPropertyDescriptor(f, 'samples')?.get).toBe('function');
  });

  it('makes the same samples for every other reader, once, with the series labels objects', () => {
    const f = make();
    const samples = f.samples ?? [];
    expect(samples).toEqual([{ labels: a, value: 3 }, { labels: b, value: 0.25 }]);
    expect(samples[0]?.labels).toBe(a);
    expect(f.samples).toBe(samples);
    expect(f).toEqual({ name: 'x_total', help: 'h', type: 'counter', samples: [{ labels: a, value: 3 }, { labels: b, value: 0.25 }] });
  });

  it('copies as a plain family: spread, structuredClone and JSON carry samples, not the columns', () => {
    const plain = { name: 'x_total', help: 'h', type: 'counter', samples: [{ labels: a, value: 3 }, { labels: b, value: 0.25 }] };
    const spread = { ...make() };
    expect(spread).toEqual(plain);
    expect(sampleColumns(spread)).toBeUndefined();
    expect(structuredClone(make())).toEqual(plain);
    expect(JSON.parse(JSON.stringify(make()))).toEqual(plain);
  });

  it('drops the columns when samples are assigned, so the two never disagree', () => {
    const f = make();
    f.samples = [{ labels: a, value: 9 }];
    expect(sampleColumns(f)).toBeUndefined();
    expect(sampleCount(f)).toBe(1);
    expect(f.samples).toEqual([{ labels: a, value: 9 }]);
  });

  it('counts plain families by their samples', () => {
    expect(sampleCount({ name: 'y', help: 'h', type: 'gauge', samples: [{ labels: a, value: 1 }] })).toBe(1);
    expect(sampleCount({ name: 'y', help: 'h', type: 'histogram', histograms: [] })).toBe(0);
  });
});
