import { describe, expect, it } from 'vitest';
import { createMetricFold, sampleColumns, type MetricFamily } from '@sockscope/core';
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

  it('writes a histogram per flow sharing one list of bounds, each line whole across chunks, the same in a second exposition', () => {
    const bounds = [0.005, 0.5, 60];
    const flows = Array.from({ length: 40 }, (_, i) => ({ labels: { flow: `10.0.0.${i}:${40000 + i}`, cmd: i === 3 ? 'a "b"\\c' : 'x' }, bounds, counts: [i, 2 * i, 3 * i], sum: i / 4, count: 3 * i + 1 }));
    const fam: MetricFamily = { name: 'd_seconds', help: 'd', type: 'histogram', histograms: [...flows, { labels: {}, bounds, counts: [0, 1, 1], sum: 0.25, count: 2 }] };
    // the text written by hand from the format, for every flow
    const expected = ['# HELP d_seconds d', '# TYPE d_seconds histogram'];
    for (const h of fam.histograms ?? []) {
      const base = Object.entries(h.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',');
      const les = ['0.005', '0.5', '60', '+Inf'];
      les.forEach((le, i) => expected.push(`d_seconds_bucket{${base ? `${base},` : ''}le="${le}"} ${i < 3 ? h.counts[i] : h.count}`));
      expected.push(`d_seconds_sum${base ? `{${base}}` : ''} ${h.sum}`, `d_seconds_count${base ? `{${base}}` : ''} ${h.count}`);
    }
    expect(expected).toContain('d_seconds_bucket{flow="10.0.0.3:40003",cmd="a \\"b\\"\\\\c",le="0.5"} 6');
    for (let round = 0; round < 2; round++) {
      const chunks = [...expositionChunks([fam], 256)];
      expect(chunks.length).toBeGreaterThan(20);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(256);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(`${expected.join('\n')}\n`);
    }
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

describe('cached headers', () => {
  it('writes a family\'s new HELP or TYPE at once, and the HELP escaped for its format, when the same name comes again', () => {
    const fam = (help: string, type: 'gauge' | 'counter'): MetricFamily => ({ name: 'cached_x', help, type, samples: [{ labels: {}, value: 1 }] });
    const text = (f: MetricFamily, format: 'text' | 'openmetrics' = 'text') => Buffer.concat([...expositionChunks([f], 4096, format)]).toString('utf8');
    expect(text(fam('first "q"', 'gauge'))).toContain('# HELP cached_x first "q"\n# TYPE cached_x gauge\n');
    expect(text(fam('first "q"', 'gauge'), 'openmetrics')).toContain('# HELP cached_x first \\"q\\"\n');
    expect(text(fam('second', 'gauge'))).toContain('# HELP cached_x second\n# TYPE cached_x gauge\n');
    expect(text(fam('second', 'counter'))).toContain('# TYPE cached_x counter\n');
    // and each time the same text serializeFamilies writes
    for (const f of [fam('third', 'gauge'), fam('third', 'counter')]) expect(text(f)).toBe(serializeFamilies([f]));
  });
});

describe('expositionChunks', () => {
  const many = (name: string, n: number): MetricFamily => ({
    name, help: `${name} help`, type: 'gauge', samples: Array.from({ length: n }, (_, i) => ({ labels: { flow: String(i) }, value: i })),
  });

  it('writes UTF-8 chunks of at most the given size that join into the whole exposition, headers leading their families', () => {
    const long = { name: 'l', help: 'l', type: 'gauge', samples: [{ labels: { cmd: 'x'.repeat(300) }, value: 1 }] } as MetricFamily;
    const utf8 = { name: 'u', help: 'naïve – 日本', type: 'gauge', samples: [{ labels: { comm: 'café', unit: '日本.service' }, value: 0.5 }] } as MetricFamily;
    const histogram = { name: 'h', help: 'h', type: 'histogram', histograms: [{ labels: {}, bounds: [1], counts: [1], sum: 1, count: 1 }] } as MetricFamily;
    const families = [many('a', 25), many('b', 0), long, utf8, many('c', 7), histogram];
    const chunks = [...expositionChunks(families, 200)];
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(serializeFamilies(families));
    expect(text).toContain('u{comm="café",unit="日本.service"} 0.5\n');
    expect(text).not.toContain('# HELP b');
    expect(chunks[0]?.toString('utf8').startsWith('# HELP a a help\n# TYPE a gauge\na{flow="0"} 0\n')).toBe(true);
    // every chunk fits the size but the one holding the 300-byte line, which holds only that line
    const over = chunks.filter((c) => c.length > 200);
    expect(over.map((c) => c.toString('utf8'))).toEqual([`l{cmd="${'x'.repeat(300)}"} 1\n`]);
    expect(chunks.length).toBeGreaterThan(5);
  });

  it('gives nothing for nothing', () => {
    expect([...expositionChunks([many('a', 0)])]).toEqual([]);
  });

  it('writes the flow fold\'s columnar families as their samples, byte for byte, without making the samples', () => {
    const fold = createMetricFold({ folding: 'raw_endpoint' });
    fold.begin(1_000);
    for (let i = 0; i < 300; i++) {
      fold.add({
        protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.1', port: 40000 + i }, remote: { address: `10.0.${i >> 8}.${i & 255}`, port: 443 },
        inode: i + 1, uid: 0, recvQueue: 0, sendQueue: i % 3, cookie: BigInt(i + 1),
        tcp: { rttUs: 1000 + i * 7, sndCwnd: 10 + (i % 5), dataSegsOut: i * 3, bytesAcked: BigInt(i * 1448), totalRetrans: i % 4 },
      });
    }
    const families = fold.end(true);
    const columnar = families.filter((f) => sampleColumns(f) !== undefined);
    expect(columnar.length).toBeGreaterThan(5);
    const formats = ['text', 'openmetrics'] as const;
    const written = formats.map((format) => Buffer.concat([...expositionChunks(families, 4096, format)]));
    // still unread: the exposition went through the columns
    for (const f of columnar) expect(typeof Object.getOwnPropertyDescriptor(f, 'samples')?.get).toBe('function');
    // a copy carries plain samples only
    const copy = structuredClone(families);
    expect(copy.filter((f) => sampleColumns(f) !== undefined)).toEqual([]);
    formats.forEach((format, i) => {
      const plain = Buffer.concat([...expositionChunks(copy, 4096, format)]);
      expect(written[i]?.equals(plain)).toBe(true);
      expect(plain.toString('utf8')).toContain('sockscope_tcp_rtt_seconds{');
    });
  });
});

describe('expositions written at the same time, and one after another', () => {
  it('each write their own families, whether interleaved, cut off or run after the others', () => {
    // two collections of one fold share the labels objects of the series both have; the label
    // order an exposition keeps (and hands to the next) must never mix theirs
    const fold = createMetricFold({ folding: 'raw_endpoint' });
    const collect = (t: number, ports: number[]) => {
      fold.begin(t);
      for (const p of ports) {
        fold.add({
          protocol: 'tcp', family: 'ipv4', state: 'ESTABLISHED', local: { address: '10.0.0.1', port: p }, remote: { address: '10.0.1.1', port: 443 },
          inode: p, uid: 0, recvQueue: 0, sendQueue: 0, cookie: BigInt(p), tcp: { rttUs: p * 3 + t, sndCwnd: 10 + (p % 7), ...(p % 3 === 0 ? {} : { totalRetrans: p % 5 }) },
        });
      }
      return fold.end(true);
    };
    const a = collect(1_000, Array.from({ length: 200 }, (_, i) => 40000 + i));
    const b = collect(2_000, Array.from({ length: 150 }, (_, i) => 40100 + 2 * i));
    const plain = (families: MetricFamily[]) => serializeFamilies(structuredClone(families));
    const text = (chunks: Iterable<Buffer>) => Buffer.concat([...chunks]).toString('utf8');
    // a begins, b is written whole meanwhile, then a ends
    const ga = expositionChunks(a, 1024);
    const head = [ga.next().value as Buffer];
    const wholeB = text(expositionChunks(b, 1024));
    const wholeA = text([...head, ...ga]);
    expect(wholeA).toBe(plain(a));
    expect(wholeB).toBe(plain(b));
    // one cut off after a chunk (its reader went away), then each again
    const cut = expositionChunks(b, 1024);
    cut.next();
    cut.return();
    expect(text(expositionChunks(a, 1024))).toBe(plain(a));
    expect(text(expositionChunks(b, 4096, 'openmetrics'))).toBe(serializeFamilies(structuredClone(b), 'openmetrics'));
    expect(text(expositionChunks(b, 1024))).toBe(plain(b));
  });
});

describe('OpenMetrics text', () => {
  const histogram: MetricFamily = { name: 'h_seconds', help: 'h', type: 'histogram', histograms: [{ labels: { k: 'v' }, bounds: [0.1, 1], counts: [1, 3], sum: 2.5, count: 4 }] };

  it('names a counter family without _total and its samples with it, writes untyped as unknown, and ends with # EOF', () => {
    const text = serializeFamilies(
      [
        { name: 'sent_bytes_total', help: 'Bytes "sent".', type: 'counter', samples: [{ labels: { peer: 'a' }, value: 5 }] },
        { name: 'node_netstat_Tcp_RetransSegs', help: 'Statistic TcpRetransSegs.', type: 'untyped', samples: [{ labels: {}, value: 2 }] },
        { name: 'up', help: 'Up.', type: 'gauge', samples: [{ labels: {}, value: 1 }] },
        histogram,
      ],
      'openmetrics',
    );
    expect(text.split('\n')).toEqual([
      '# HELP sent_bytes Bytes \\"sent\\".',
      '# TYPE sent_bytes counter',
      'sent_bytes_total{peer="a"} 5',
      '# HELP node_netstat_Tcp_RetransSegs Statistic TcpRetransSegs.',
      '# TYPE node_netstat_Tcp_RetransSegs unknown',
      'node_netstat_Tcp_RetransSegs 2',
      '# HELP up Up.',
      '# TYPE up gauge',
      'up 1',
      '# HELP h_seconds h',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{k="v",le="0.1"} 1',
      'h_seconds_bucket{k="v",le="1"} 3',
      'h_seconds_bucket{k="v",le="+Inf"} 4',
      'h_seconds_sum{k="v"} 2.5',
      'h_seconds_count{k="v"} 4',
      '# EOF',
      '',
    ]);
  });

  // prometheus_ss_exporter's counters have no _total: renaming their samples would make new series
  // whenever Prometheus negotiates OpenMetrics, so they keep their name and are written unknown
  it('writes a counter without the _total suffix as unknown under its own name, so its series keep their name', () => {
    const text = serializeFamilies([{ name: 'tcp_data_segs_in', help: 'Segments in.', type: 'counter', samples: [{ labels: { flow: 'f' }, value: 120 }] }], 'openmetrics');
    expect(text).toBe('# HELP tcp_data_segs_in Segments in.\n# TYPE tcp_data_segs_in unknown\ntcp_data_segs_in{flow="f"} 120\n# EOF\n');
  });

  it('keeps one family per name: a family whose name or samples another family already owns is skipped', () => {
    const g = (name: string, value: number): MetricFamily => ({ name, help: name, type: 'gauge', samples: [{ labels: {}, value }] });
    const text = serializeFamilies(
      [
        { name: 'x_total', help: 'x', type: 'counter', samples: [{ labels: { a: '1' }, value: 1 }] },
        { name: 'x_total', help: 'x again', type: 'counter', samples: [{ labels: { a: '2' }, value: 2 }] },
        g('x', 3), // the counter's family name
        g('x_total', 4), // the counter's sample name
        histogram,
        g('h_seconds_count', 5), // a sample name of the histogram
        g('kept', 6),
      ],
      'openmetrics',
    );
    expect(text).toBe(
      [
        '# HELP x x',
        '# TYPE x counter',
        'x_total{a="1"} 1',
        'x_total{a="2"} 2',
        ...serializeFamilies([histogram], 'openmetrics').split('\n').slice(0, -2), // without '# EOF' and the final newline
        '# HELP kept kept',
        '# TYPE kept gauge',
        'kept 6',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('is # EOF alone for nothing, and comes in chunks that join into the whole', () => {
    expect(serializeFamilies([], 'openmetrics')).toBe('# EOF\n');
    const many: MetricFamily = { name: 'c_total', help: 'c', type: 'counter', samples: Array.from({ length: 300 }, (_, i) => ({ labels: { i: String(i) }, value: i })) };
    const chunks = [...expositionChunks([many, histogram], 256, 'openmetrics')];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(serializeFamilies([many, histogram], 'openmetrics'));
  });

  it('leaves the text format as it was: counters keep _total in TYPE, untyped stays untyped, no # EOF', () => {
    const text = serializeFamilies([
      { name: 'a_total', help: 'say "hi"', type: 'counter', samples: [{ labels: {}, value: 1 }] },
      { name: 'u', help: 'u', type: 'untyped', samples: [{ labels: {}, value: 2 }] },
    ]);
    expect(text).toBe('# HELP a_total say "hi"\n# TYPE a_total counter\na_total 1\n# HELP u u\n# TYPE u untyped\nu 2\n');
  });
});
