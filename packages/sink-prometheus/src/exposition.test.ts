import { describe, expect, it } from 'vitest';
import type { MetricFamily } from '@sockscope/core';
import { expositionChunks, formatValue, serializeFamilies } from './exposition.js';

describe('serializeFamilies', () => {
  it('writes HELP, TYPE and samples with escaped labels', () => {
    const text = serializeFamilies([
      { name: 'a_total', help: 'Line one\\two\nthree', type: 'counter', samples: [{ labels: { path: 'C:\\x "q"\nz' }, value: 3 }, { labels: {}, value: 1.5 }] },
    ]);
    expect(text).toBe('# HELP a_total Line one\\\\two\\nthree\n# TYPE a_total counter\na_total{path="C:\\\\x \\"q\\"\\nz"} 3\na_total 1.5\n');
  });

  it('writes histograms with cumulative buckets, +Inf, sum and count', () => {
    const text = serializeFamilies([
      { name: 'h', help: 'h', type: 'histogram', histograms: [{ labels: { k: 'v' }, bounds: [0.1, 1], counts: [1, 3], sum: 2.5, count: 4 }] },
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP h h',
      '# TYPE h histogram',
      'h_bucket{k="v",le="0.1"} 1',
      'h_bucket{k="v",le="1"} 3',
      'h_bucket{k="v",le="+Inf"} 4',
      'h_sum{k="v"} 2.5',
      'h_count{k="v"} 4',
      '',
    ]);
  });

  it('merges families of one name and type, skips a conflicting type and empty families', () => {
    const text = serializeFamilies([
      { name: 'x', help: 'first', type: 'gauge', samples: [{ labels: { a: '1' }, value: 1 }] },
      { name: 'x', help: 'second', type: 'gauge', samples: [{ labels: { a: '2' }, value: 2 }] },
      { name: 'x', help: 'third', type: 'counter', samples: [{ labels: { a: '3' }, value: 3 }] },
      { name: 'empty', help: 'e', type: 'gauge', samples: [] },
    ]);
    expect(text).toBe('# HELP x first\n# TYPE x gauge\nx{a="1"} 1\nx{a="2"} 2\n');
  });

  it('formats special values the way Prometheus parses them', () => {
    expect([NaN, Infinity, -Infinity, 1e21, 0.000001].map(formatValue)).toEqual(['NaN', '+Inf', '-Inf', '1e+21', '0.000001']);
  });
});

describe('expositionChunks', () => {
  const many = (name: string, n: number): MetricFamily => ({
    name, help: `${name} help`, type: 'gauge', samples: Array.from({ length: n }, (_, i) => ({ labels: { flow: String(i) }, value: i })),
  });

  it('splits a large exposition into chunks of about the given number of lines, the header leading its family', () => {
    const families = [many('a', 25), many('b', 0), many('c', 7), { name: 'h', help: 'h', type: 'histogram', histograms: [{ labels: {}, bounds: [1], counts: [1], sum: 1, count: 1 }] } as MetricFamily];
    const chunks = [...expositionChunks(families, 10)];
    expect(chunks.join('')).toBe(serializeFamilies(families));
    expect(chunks[0]?.startsWith('# HELP a a help\n# TYPE a gauge\na{flow="0"} 0\n')).toBe(true);
    // a's 25 lines in 10-line steps (its header rides with the first); its last 5 go out with
    // c (2 + 7 lines), then h's header and 4 lines at the end
    expect(chunks.map((c) => c.split('\n').length - 1)).toEqual([12, 10, 14, 6]);
    expect(chunks.join('')).not.toContain('# HELP b');
  });

  it('gives nothing for nothing', () => {
    expect([...expositionChunks([many('a', 0)])]).toEqual([]);
  });
});
