// Pure parts of the bench: flags, medians, exposition parsing, goals, the soak verdict.
// Run with: node --test apps/exporter/bench/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchError, parseFlags } from '../lib/flags.mjs';
import { median, summarize } from '../lib/measure.mjs';
import { collectorDurations, countSeries, scrape, TAIL_BYTES } from '../lib/agents.mjs';
import { createServer } from 'node:http';
import { evaluateEarlierGoals } from '../lib/goals.mjs';
import { createLifecycleMemory, lifecycleDelta, lifecycleExpected, lifecycleText, lifecycleTotals, soakText, soakVerdicts, summarizeProbe, summarizeSoak } from '../lib/soak-report.mjs';
import { machineCpuTicks, stealPercent } from '../lib/report.mjs';

const SPEC = {
  sizes: { kind: 'ints', default: [1000], max: 50_000 },
  runs: { kind: 'int', default: 5, min: 1 },
  steps: { kind: 'list', default: ['ss'], choices: ['ss', 'collect'] },
  no_pidns: { kind: 'bool', default: false },
};

test('flags: both spellings, defaults kept, bad values name the flag', () => {
  assert.deepEqual(parseFlags(['--', '--sizes', '1000,10000', '--runs=3', '--no-pidns'], SPEC), { sizes: [1000, 10_000], runs: 3, steps: ['ss'], no_pidns: true });
  assert.throws(() => parseFlags(['--sizes', '10x'], SPEC), (e) => e instanceof BenchError && /--sizes 10x/.test(e.message));
  assert.throws(() => parseFlags(['--sizes', '60000'], SPEC), /at most 50000/);
  assert.throws(() => parseFlags(['--runs', '0'], SPEC), /at least 1/);
  assert.throws(() => parseFlags(['--steps', 'ss,scrap'], SPEC), /unknown scrap; choose from ss, collect/);
  assert.throws(() => parseFlags(['--size', '1'], SPEC), /unknown flag --size; known: --sizes/);
  assert.throws(() => parseFlags(['--runs'], SPEC), /needs a value/);
});

test('median of odd and even counts; summarize keeps min and max', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(summarize([3, 9, 1]), { median: 3, min: 1, max: 9, runs: 3 });
});

test('exposition: series are the non-comment lines; sockscope self-timings read in ms', () => {
  const text = [
    '# HELP sockscope_scrape_collector_duration_seconds How long a collector took in the last collection.',
    '# TYPE sockscope_scrape_collector_duration_seconds gauge',
    'sockscope_scrape_collector_duration_seconds{collector="linux-netlink"} 0.0125',
    'sockscope_scrape_collector_duration_seconds{collector="enricher:process"} 0.002',
    'node_sockstat_TCP_tw 3',
    '',
  ].join('\n');
  assert.equal(countSeries(text), 3);
  assert.deepEqual(collectorDurations(text), { 'linux-netlink': 12.5, 'enricher:process': 2 });
});

test('scrape over real HTTP: kept whole, or counted and dropped keeping the tail the self-timings are in', async () => {
  // 3 MB of samples in 64 KiB writes, then the self-timings, as an agent's exposition ends
  const filler = Buffer.from('x_total{a="1"} 1\n'.repeat(3855));
  const tail = Buffer.from('# TYPE sockscope_scrape_collector_duration_seconds gauge\nsockscope_scrape_collector_duration_seconds{collector="linux-netlink"} 0.25\n');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 48; i++) res.write(filler);
    res.end(tail);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${server.address().port}/metrics`;
    const bytes = 48 * filler.length + tail.length;
    assert.ok(bytes > 10 * TAIL_BYTES);
    const kept = await scrape(url);
    assert.equal(kept.bytes, bytes);
    assert.equal(kept.series, 48 * 3855 + 1);
    assert.equal(kept.text.length, bytes);
    assert.deepEqual(kept.durations, { 'linux-netlink': 250 });
    const dropped = await scrape(url, undefined, { keep: false });
    assert.equal(dropped.bytes, bytes);
    assert.equal(dropped.series, undefined);
    assert.equal(dropped.text, null);
    assert.deepEqual(dropped.durations, { 'linux-netlink': 250 });
  } finally {
    server.close();
  }
});

const stat = (v) => summarize([v]);

test('goals: ratios to ss -tin, RSS judged on the default config, not measured when absent', () => {
  const size = (n, netlinkMs, scrapeMs, peak, stall) => ({
    connections: n,
    ss_tin: { ms: stat(100) },
    netlink: { ms: stat(netlinkMs), stallMs: stat(stall) },
    scrape_raw: { ms: stat(scrapeMs), memory: { rssMb: 900, peakMb: 1000 } },
    scrape_default: { ms: stat(50), memory: { rssMb: peak, peakMb: peak } },
    fold: { rssGrowthMb: stat(n / 1000), listedRssGrowthMb: stat(n / 100), defaultFlagsRssGrowthMb: stat(n / 500) },
  });
  const [collection, scrape10k, rss, growth, stall] = evaluateEarlierGoals([size(10_000, 50, 150, 100, 20), size(30_000, 70, 400, 140, 60)]);
  assert.equal(collection.pass, false); // 0.7× at 30k
  assert.deepEqual(collection.values.map((v) => v.value), [0.5, 0.7]);
  assert.equal(scrape10k.pass, true); // 1.5×
  assert.equal(rss.pass, true);
  assert.match(rss.info, /raw_endpoint 1000 MB/);
  assert.equal(stall.pass, false);
  assert.deepEqual(growth.values.map((v) => v.value), [30]); // judged at 30k only
  assert.equal(growth.pass, true);
  assert.equal(growth.info, "listed first 300 MB, folded under Node's default flags 60 MB");
  assert.equal(evaluateEarlierGoals([size(1000, 10, 10, 10, 1)])[1].pass, undefined);
  assert.equal(evaluateEarlierGoals([size(1000, 10, 10, 10, 1)])[3].pass, undefined);
});

test('soak: the /health probe passes at most 50 ms blocked; one slower answer or a failed probe fails', () => {
  const fast = Array.from({ length: 100 }, (_, i) => ({ t: i * 0.02, ms: 1 + (i % 10) }));
  const ok = summarizeProbe(fast, 0, 20);
  assert.deepEqual([ok.probes, ok.medianMs, ok.p99Ms, ok.maxMs, ok.overGoal, ok.verdict], [100, 5.5, 10, 10, 0, 'PASS']);
  assert.equal(summarizeProbe([...fast, { t: 2, ms: 50 }], 0, 20).verdict, 'PASS'); // the goal is "not more than 50 ms"
  const slow = summarizeProbe([...fast, { t: 2.5, ms: 50.1 }, { t: 3, ms: 120 }], 0, 20);
  assert.deepEqual([slow.maxMs, slow.overGoal, slow.verdict, slow.slowest[0]], [120, 2, 'FAIL', { t: 3, ms: 120 }]);
  assert.equal(summarizeProbe(fast, 1, 20).verdict, 'FAIL');
  assert.equal(summarizeProbe([], 0, 20).verdict, 'FAIL');
  const lifecycle = { agent: { received: 9, dropped: 1 }, expected: { destroyEvents: 10 } };
  const verdicts = soakVerdicts({ options: { churn: 2000 }, churnPerSecond: 1500, summary: { verdict: 'no leak', rssGrowthEndVsMiddle: 0.01 }, health: slow, lifecycle });
  assert.match(verdicts.join('\n'), /no event lost.*PASS \(10 of 10, 1 dropped and counted\)/);
  assert.match(verdicts.join('\n'), /blocked ≤ 50 ms.*FAIL \(max 120\.0 ms\)/);
  assert.match(verdicts.join('\n'), /1500\/s made of 2000\/s asked \(NOT reached\)/);
});

test('soak: end within 10% of the middle is no leak; steady growth is flagged', () => {
  const run = (rssAt) => Array.from({ length: 121 }, (_, t) => ({ t, rssMb: rssAt(t), scrapeMs: 10 + t / 60, collectorMs: { 'linux-netlink': 5 } }));
  const flat = summarizeSoak(run((t) => (t < 20 ? 80 + t : 100 + (t % 3))), 120);
  assert.equal(flat.verdict, 'no leak');
  assert.equal(flat.rss.start.value < flat.rss.middle.value, true);
  const leaking = summarizeSoak(run((t) => 100 + t), 120);
  assert.equal(leaking.verdict, 'possible leak');
  assert.ok(leaking.rssGrowthEndVsMiddle > 0.3); // 160 MB in the middle window, 217 MB at the end
  assert.equal(leaking.drift['collector:linux-netlink'].change, 0);
  assert.ok(leaking.drift.scrapeMs.lastMs > leaking.drift.scrapeMs.firstMs);
});

test('soak stretches: scrape median and the machine\'s stolen CPU per minute, steal read from /proc/stat', () => {
  // /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice
  const a = machineCpuTicks('cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 1 2 3\n');
  const b = machineCpuTicks('cpu  200 0 70 980 10 0 5 135 0 0\n');
  assert.deepEqual(a, { total: 1000, steal: 35 });
  assert.equal(stealPercent(a, b), 25); // 100 of 400 ticks
  assert.equal(stealPercent(null, b), undefined);
  assert.equal(machineCpuTicks('intr 1 2\n'), null);
  assert.ok(machineCpuTicks() === null || machineCpuTicks().total > 0); // this machine's own, where there is one
  // a VM slowed by steal from 150 s on: the stretches show it beside the scrape times
  const samples = Array.from({ length: 600 }, (_, t) => ({ t, rssMb: 100, scrapeMs: t < 150 ? 450 : 700, stealPct: t < 150 ? 1 : 20 }));
  const s = summarizeSoak(samples, 600);
  assert.equal(s.stretches.length, 10);
  assert.deepEqual(s.stretches.slice(0, 4).map((x) => [x.fromS, x.scrapeMs, x.stealPct]), [[0, 450, 1], [60, 450, 1], [120, 575, 10.5], [180, 700, 20]]);
  // a window of 5 minutes: stretches of 30 s
  assert.deepEqual(summarizeSoak(samples.slice(0, 300), 300).stretches.map((x) => x.fromS), [0, 30, 60, 90, 120, 150, 180, 210, 240, 270]);
  const text = soakText({ seconds: 600, options: { settle: 0, connections: 1, churn: 0 }, churnPerSecond: 0, scrapes: 600, failedScrapes: 0, lateScrapes: 0, peakRssMb: 100, lastSeries: 1, summary: s, health: null, lifecycle: null });
  assert.match(text.join('\n'), /by stretch .*: 0 s 450 ms, steal 1\.0%; 60 s 450 ms, steal 1\.0%; 120 s 575 ms, steal 10\.5%; 180 s 700 ms, steal 20\.0%/);
  // samples of an older result, without steal
  assert.match(soakText({ seconds: 300, options: { settle: 0, connections: 1, churn: 0 }, churnPerSecond: 0, scrapes: 1, failedScrapes: 0, lateScrapes: 0, peakRssMb: 1, lastSeries: 1, summary: summarizeSoak([{ t: 1, rssMb: 1, scrapeMs: 5 }], 300), health: null, lifecycle: null }).join('\n'), /0 s 5 ms, steal not read/);
});

test('soak scrape steadiness (issue 20): p99 within 1.5x the median passes, a tail of slow scrapes fails', () => {
  const steady = summarizeSoak(Array.from({ length: 200 }, (_, t) => ({ t, rssMb: 100, scrapeMs: 100 + (t % 10) })), 200);
  assert.equal(steady.scrape.verdict, 'PASS');
  assert.equal(steady.scrape.p50Ms, 104);
  assert.equal(steady.scrape.p99Ms, 109);
  // 3 of 200 scrapes at 400 ms: the p99 (nearest rank, the 198th) is one of them
  const tail = summarizeSoak(Array.from({ length: 200 }, (_, t) => ({ t, rssMb: 100, scrapeMs: t < 197 ? 100 : 400 })), 200);
  assert.equal(tail.scrape.verdict, 'FAIL');
  assert.equal(tail.scrape.ratio, 4);
  const lines = soakVerdicts({ options: { churn: 500 }, churnPerSecond: 500, summary: tail, health: null, lifecycle: null });
  assert.match(lines.join('\n'), /scrape p99 ≤ 1\.5× median: FAIL \(median 100\.0 ms, p99 400\.0 ms, 4\.00×\)/);
});

test('soak lifecycle: totals summed by direction and reason, deltas, what the churner should have made heard, and the lines', () => {
  const text = (received, inbound, outbound) => [
    '# TYPE sockscope_lifecycle_events_received_total counter',
    `sockscope_lifecycle_events_received_total ${received}`,
    'sockscope_lifecycle_events_dropped_total 0',
    'sockscope_lifecycle_enobufs_total 0',
    `sockscope_tcp_connections_closed_total{direction="inbound",process="holder",local_port="20000"} ${inbound}`,
    `sockscope_tcp_connections_closed_total{direction="outbound",process="holder",dst="127.0.0.1",dst_port="20000"} ${outbound}`,
    'sockscope_tcp_connect_failures_total{direction="outbound",reason="refused"} 3',
  ].join('\n');
  const before = lifecycleTotals(text(100, 10, 20));
  assert.deepEqual(before.closedBy, { inbound: 10, outbound: 20 });
  assert.equal(before.opened, null);
  assert.deepEqual(before.failuresBy, { refused: 3 });
  const delta = lifecycleDelta(before, lifecycleTotals(text(1100, 510, 520)));
  assert.equal(delta.received, 1000);
  assert.deepEqual(delta.closedBy, { inbound: 500, outbound: 500 });
  assert.equal(delta.opened, null);
  const churner = { clientClosed: 490, clientOpened: 490, serverClosed: 490, failedConnects: 0 };
  const expected = lifecycleExpected(churner, 10);
  assert.deepEqual(expected, { destroyEvents: 1000, closedInbound: 500, closedOutbound: 500 });
  const lines = lifecycleText({ churner, httpConnections: 10, expected, agent: delta });
  assert.match(lines[1], /handed to the pipeline 1000 \+ dropped \(counted\) 0 = 1000 vs 1000 closed \(\+0, \+0\.0%\); ENOBUFS 0/);
  assert.match(lines[2], /closed_total: 1000 vs 1000 \(\+0, \+0\.0%\): inbound 500 vs 500 \(\+0, \+0\.0%\), outbound 500 vs 500/);
  // raw_endpoint: no direction label, the total only
  assert.match(lifecycleText({ churner, httpConnections: 10, expected, agent: { ...delta, closedBy: undefined } })[2], /closed_total: 1000 vs 1000 \(\+0, \+0\.0%\); opened/);
  assert.match(lifecycleText({ churner, httpConnections: 10, expected, agent: { ...delta, closed: null } })[2], /not published by this build/);
});

test('soak lifecycle memory: a series missing from one scrape keeps its last value in the totals', () => {
  const memory = createLifecycleMemory();
  memory.observe('sockscope_tcp_connections_closed_total{direction="outbound",process=""} 2758\nsockscope_tcp_connections_closed_total{direction="outbound",process="holder"} 10');
  // a collection in which nothing of the unowned series closed: it is not published
  memory.observe('sockscope_tcp_connections_closed_total{direction="outbound",process="holder"} 12');
  const before = memory.totals();
  assert.equal(before.closed, 2770);
  memory.observe('sockscope_tcp_connections_closed_total{direction="outbound",process=""} 2800\nsockscope_tcp_connections_closed_total{direction="outbound",process="holder"} 20');
  assert.deepEqual(lifecycleDelta(before, memory.totals()).closedBy, { outbound: 50 });
});
