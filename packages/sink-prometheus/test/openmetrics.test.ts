import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricFamily } from '@sockscope/core';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from './http.js';
import { corePipeline, selfMetricsWithRuntime, sinkContext, startSink, stopAll } from './harness.js';
import { openMetricsProblems, seriesOf } from './openmetrics-rules.js';

afterEach(stopAll);

/** What Prometheus sends when it scrapes (its default scrape protocols). */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const OM_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Families of every kind core renders: counters with and without _total, gauges, untyped, a histogram, odd label values. */
const families: MetricFamily[] = [
  {
    name: 'sockscope_tcp_bytes_sent_total', help: 'Bytes sent, "as the kernel counts them".', type: 'counter',
    samples: [{ labels: { peer: '10.0.0.1', comm: 'a "quoted"\\ name\nnext' }, value: 688_000_000 }, { labels: { peer: 'other' }, value: 0 }],
  },
  { name: 'tcp_data_segs_in', help: 'prometheus_ss_exporter counter without _total.', type: 'counter', samples: [{ labels: { flow: '(SK)127.0.0.1:1 -> 127.0.0.1:2' }, value: 120 }] },
  { name: 'node_netstat_Tcp_RetransSegs', help: 'Statistic TcpRetransSegs.', type: 'untyped', samples: [{ labels: {}, value: 17 }] },
  { name: 'sockscope_tcp_rtt_seconds', help: 'Smoothed RTT.', type: 'gauge', samples: [{ labels: { peer: '10.0.0.1' }, value: 0.000125 }, { labels: { peer: 'x' }, value: NaN }] },
  {
    name: 'sockscope_tcp_rtt_distribution_seconds', help: 'RTT of every flow.', type: 'histogram',
    histograms: [
      { labels: { family: 'ipv4' }, bounds: [0.0001, 0.001, 1, 10], counts: [1, 4, 9, 9], sum: 3.25, count: 10 },
      { labels: { family: 'ipv6' }, bounds: [0.0001, 0.001, 1, 10], counts: [0, 0, 0, 0], sum: 0, count: 0 },
    ],
  },
];

async function startOpenMetrics() {
  const { pipeline } = corePipeline({ 'linux-procfs': {}, broken: { fail: true } }, families, selfMetricsWithRuntime());
  return startSink(sinkContext({ listen_address: '127.0.0.1:0' }, pipeline));
}

describe('the OpenMetrics rules the test checks against', () => {
  // the checker must find what it is there to find, or a clean result says nothing
  it('finds each broken rule', () => {
    const ok = '# HELP a_seconds x\n# TYPE a_seconds counter\na_seconds_total 1\n# EOF\n';
    expect(openMetricsProblems(ok)).toEqual([]);
    const broken: [string, RegExp][] = [
      ['# TYPE a counter\na_total 1\n', /does not end with "# EOF"/],
      ['# TYPE a counter\na_total 1\n# EOF\n# TYPE b gauge\nb 1\n# EOF\n', /not the last/],
      ['# TYPE a_total counter\na_total_total 1\n# EOF\n', /keeps its _total suffix/],
      ['# TYPE a counter\na 1\n# EOF\n', /not a sample of family a \(counter\)/],
      ['# TYPE a untyped\na 1\n# EOF\n', /"untyped" is not an OpenMetrics type/],
      ['# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na{x="1"} 1\n# EOF\n', /family a appears twice/],
      ['# TYPE a gauge\na 1\na 2\n# EOF\n', /series a\{\} twice/],
      ['# TYPE a gauge\n\na 1\n# EOF\n', /blank line/],
      ['# HELP a say "x"\n# TYPE a gauge\na 1\n# EOF\n', /unescaped double quote/],
      ['# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n# EOF\n', /counts decrease/],
      ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n# EOF\n', /no \+Inf bucket/],
      ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n# EOF\n', /_count 3 is not the \+Inf bucket 2/],
      ['# TYPE a counter\na_total -1\n# EOF\n', /counter a_total is -1/],
    ];
    for (const [text, problem] of broken) expect(openMetricsProblems(text).join('\n'), text).toMatch(problem);
  });

  it("passes prom-client's own OpenMetrics output, an independent writer of the format", async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'om_requests_total', help: 'Requests.', labelNames: ['code'], registers: [registry] }).inc({ code: '200' }, 3);
    const h = new Histogram({ name: 'om_latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers: [registry] });
    h.observe(0.05);
    h.observe(2);
    const text = await registry.metrics();
    expect(text).toContain('om_requests_total{code="200"} 3');
    expect(openMetricsProblems(text)).toEqual([]);
  });
});

describe('OpenMetrics text when the scraper asks for it', () => {
  it("answers Prometheus' Accept header with OpenMetrics 1.0.0 that keeps the format's rules, ending with # EOF", async () => {
    const { port } = await startOpenMetrics();
    const res = await call(port, '/metrics', { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(OM_TYPE);
    expect(openMetricsProblems(res.text)).toEqual([]);
    const lines = res.text.split('\n');
    expect(lines.at(-2)).toBe('# EOF');
    expect(lines.filter((l) => l === '# EOF')).toHaveLength(1);
    // core's counters: the family without _total, the samples with it
    expect(lines).toContain('# TYPE sockscope_tcp_bytes_sent counter');
    expect(lines).toContain('# HELP sockscope_tcp_bytes_sent Bytes sent, \\"as the kernel counts them\\".');
    expect(lines).toContain('sockscope_tcp_bytes_sent_total{peer="10.0.0.1",comm="a \\"quoted\\"\\\\ name\\nnext"} 688000000');
    // a counter without _total keeps its name, untyped is unknown
    expect(lines).toContain('# TYPE tcp_data_segs_in unknown');
    expect(lines).toContain('tcp_data_segs_in{flow="(SK)127.0.0.1:1 -> 127.0.0.1:2"} 120');
    expect(lines).toContain('# TYPE node_netstat_Tcp_RetransSegs unknown');
    expect(lines).toContain('sockscope_tcp_rtt_distribution_seconds_bucket{family="ipv4",le="+Inf"} 10');
    // core's status families and prom-client's part, converted too
    expect(lines).toContain('# TYPE sockscope_scrape_collector_success gauge');
    expect(lines).toContain('# TYPE process_cpu_user_seconds counter');
    expect(lines.some((l) => l.startsWith('process_cpu_user_seconds_total '))).toBe(true);
    expect(lines.some((l) => l.startsWith('nodejs_gc_duration_seconds') || l === '# TYPE nodejs_heap_size_used_bytes gauge')).toBe(true);
    expect(lines.some((l) => l.startsWith('sockscope_build_info{'))).toBe(true);
  });

  it('serves the same series in both formats, and the text format unchanged after an OpenMetrics scrape', async () => {
    const { port } = await startOpenMetrics();
    const text1 = (await call(port, '/metrics')).text;
    const om = (await call(port, '/metrics', { headers: { accept: PROMETHEUS_ACCEPT } })).text;
    const text2 = (await call(port, '/metrics')).text;
    // prom-client strips _total from its counter objects when its registry writes OpenMetrics: not here
    expect(text2).toContain('# TYPE process_cpu_user_seconds_total counter\n');
    expect(text2).not.toContain('# EOF');
    // every series but the Node runtime's, whose label values come and go between scrapes (heap
    // spaces, active resources), is the same series in both formats
    const runtime = /^(process_|nodejs_)/;
    const names = (t: string) => [...seriesOf(t).keys()].filter((k) => !runtime.test(k)).sort();
    expect(names(om)).toEqual(names(text1));
    expect(names(text2)).toEqual(names(text1));
    const sampleNames = (t: string) => new Set([...seriesOf(t).keys()].map((k) => k.slice(0, k.indexOf('{'))));
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect([sampleNames(text1).has(name), sampleNames(om).has(name), sampleNames(text2).has(name)], name).toEqual([true, true, true]);
    }
    // core's values are the same whichever format
    const core = (t: string) => [...seriesOf(t)].filter(([k]) => /^(sockscope_tcp|tcp_|node_)/.test(k));
    expect(core(om)).toEqual(core(text1));
    expect(core(om).length).toBe(2 + 1 + 1 + 2 + 2 * 7);
  });

  it('answers the 0.0.1 version asked for, gzips when asked, and keeps the text format for curl and text/plain', async () => {
    const { port } = await startOpenMetrics();
    const old = await call(port, '/metrics', { headers: { accept: 'application/openmetrics-text; version=0.0.1' } });
    expect(old.headers['content-type']).toBe('application/openmetrics-text; version=0.0.1; charset=utf-8');
    const zipped = await call(port, '/metrics', { headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' } });
    expect([zipped.headers['content-type'], zipped.headers['content-encoding']]).toEqual([OM_TYPE, 'gzip']);
    expect(openMetricsProblems(zipped.text)).toEqual([]);
    for (const accept of ['*/*', 'text/plain; version=0.0.4', 'application/openmetrics-text;q=0.1,text/plain;q=0.9']) {
      const res = await call(port, '/metrics', { headers: { accept } });
      expect(res.headers['content-type'], accept).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text).not.toContain('# EOF');
    }
  });

  it('gives OpenMetrics to a collect[] scrape too', async () => {
    const { port } = await startOpenMetrics();
    const res = await call(port, '/metrics?collect[]=linux-procfs', { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(res.headers['content-type']).toBe(OM_TYPE);
    expect(openMetricsProblems(res.text)).toEqual([]);
    expect(res.text).not.toContain('collector="broken"');
  });

  // promtool's check metrics reads only the text format; its OpenMetrics parser is the one its
  // backfill uses, which wants a timestamp on every sample: the test adds one to each line
  it.skipIf(!existsSync('/usr/bin/promtool'))("is read by promtool's OpenMetrics parser (tsdb create-blocks-from openmetrics)", async () => {
    const { port } = await startOpenMetrics();
    const om = (await call(port, '/metrics', { headers: { accept: PROMETHEUS_ACCEPT } })).text;
    const now = Math.floor(Date.now() / 1000);
    const stamped = om
      .split('\n')
      .map((l) => (l === '' || l.startsWith('#') ? l : `${l} ${now}`))
      .join('\n');
    const dir = await mkdtemp(join(tmpdir(), 'sockscope-om-'));
    try {
      const file = join(dir, 'metrics.om');
      await writeFile(file, stamped);
      const run = (input: string) =>
        new Promise<{ code: number; text: string }>((resolve) => {
          execFile('/usr/bin/promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'blocks')], (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
          );
        });
      const out = await run(file);
      expect(out.text).not.toMatch(/error|invalid/i);
      expect(out.code).toBe(0);
      // and it refuses what breaks the format, so the pass above means something
      await writeFile(join(dir, 'no-eof.om'), stamped.replace('# EOF\n', ''));
      expect((await run(join(dir, 'no-eof.om'))).text).toMatch(/does not end with # EOF/);
      await writeFile(join(dir, 'untyped.om'), stamped.replace('# TYPE node_netstat_Tcp_RetransSegs unknown', '# TYPE node_netstat_Tcp_RetransSegs untyped'));
      expect((await run(join(dir, 'untyped.om'))).text).toMatch(/invalid metric type "untyped"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
