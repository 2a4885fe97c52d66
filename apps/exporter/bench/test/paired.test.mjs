// Paired ratios (issue 20's goals against ss -tin and node_exporter): each timed run of a step
// next to a reference run of its own, "×" the median of the per-pair ratios; the order of each
// pair, the arithmetic, the goals judged on it and the report's columns. No clocks: every time
// here is a number the test made up.
// Run with: node --test apps/exporter/bench/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedSummary, referenceFirst, sample, summarize } from '../lib/measure.mjs';
import { RATIO_METHOD, evaluateEarlierGoals, evaluateGoals, ratio, ratioTo } from '../lib/goals.mjs';
import { UNPAIRED_MARK, markdown, pairedText, ratioText, textTable } from '../lib/report.mjs';
import { costCurve } from '../lib/curve.mjs';

test('referenceFirst: the reference goes first in every other pair, starting with the first', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(referenceFirst), [true, false, true, false, true]);
});

test('pairedSummary: the median of per-pair ratios, not the ratio of the medians', () => {
  // the machine slows down over the pairs: every ratio is 0.5 though the times double
  const drifting = pairedSummary([{ ms: 10, refMs: 20, refFirst: true }, { ms: 15, refMs: 30, refFirst: false }, { ms: 20, refMs: 40, refFirst: true }]);
  assert.deepEqual(drifting.ratio, { median: 0.5, min: 0.5, max: 0.5, runs: 3 });
  assert.deepEqual(drifting.ms, { median: 30, min: 20, max: 40, runs: 3 });
  assert.equal(drifting.refFirst, 2);
  // per-pair ratios 0.9, 13/12 and 0.8: median 0.9, while the medians' ratio would be 13/12
  const mixed = pairedSummary([{ ms: 9, refMs: 10 }, { ms: 13, refMs: 12 }, { ms: 20, refMs: 25 }]);
  assert.equal(mixed.ratio.median, 0.9);
  assert.equal(mixed.ratio.max, 13 / 12);
  assert.equal(mixed.ms.median, 12);
  assert.equal(mixed.refFirst, 0);
  // an even count: the mean of the middle two ratios
  assert.equal(pairedSummary([{ ms: 1, refMs: 4 }, { ms: 2, refMs: 4 }, { ms: 4, refMs: 4 }, { ms: 8, refMs: 4 }]).ratio.median, 0.75);
});

test('sample with a pair: one reference run next to each measured run, alternating which goes first; warm-ups warm it when asked', async () => {
  const calls = [];
  let step = 0;
  let ref = 0;
  const fn = async () => {
    calls.push('step');
    step++;
    return { ms: 10 * step, bytes: 7 };
  };
  const pair = { key: 'ss_tin', label: 'ss -tin', warm: true, run: async () => {
    calls.push('ref');
    ref++;
    return { ms: 20 * ref };
  } };
  const stats = await sample('test step', { runs: 4, warmup: 2 }, fn, pair);
  // warm-ups 1 and 2, then measured runs 1-4: the reference before, after, before, after
  assert.deepEqual(calls, ['ref', 'step', 'step', 'ref', 'ref', 'step', 'step', 'ref', 'ref', 'step', 'step', 'ref']);
  // measured: steps 3..6 (30..60 ms) with references 3..6 (60..120 ms), each ratio 0.5
  assert.deepEqual(stats.ms, summarize([30, 40, 50, 60]));
  assert.deepEqual(stats.bytes, summarize([7, 7, 7, 7]));
  assert.equal(stats.paired.with, 'ss_tin');
  assert.equal(stats.paired.label, 'ss -tin');
  assert.deepEqual(stats.paired.pairs, [{ ms: 30, refMs: 60, refFirst: true }, { ms: 40, refMs: 80, refFirst: false }, { ms: 50, refMs: 100, refFirst: true }, { ms: 60, refMs: 120, refFirst: false }]);
  assert.deepEqual(stats.paired.ratio, summarize([0.5, 0.5, 0.5, 0.5]));
  assert.deepEqual(stats.paired.ms, summarize([60, 80, 100, 120]));
  assert.equal(stats.paired.refFirst, 2);

  // without warm: the warm-ups run the step alone; without a pair nothing is paired
  calls.length = 0;
  await sample('test step', { runs: 1, warmup: 1 }, fn, { ...pair, warm: false });
  assert.deepEqual(calls, ['step', 'ref', 'step']);
  calls.length = 0;
  const alone = await sample('test step', { runs: 2, warmup: 0 }, fn);
  assert.deepEqual(calls, ['step', 'step']);
  assert.equal(alone.paired, undefined);
});

const stat = (v) => summarize([v]);
/** A measured step with a paired reference: `ratios` per pair and the reference's times. */
function pairedStep(msValues, refValues, key = 'ss_tin', label = 'ss -tin') {
  const pairs = msValues.map((ms, i) => ({ ms, refMs: refValues[i], refFirst: referenceFirst(i) }));
  return { ms: summarize(msValues), paired: { with: key, label, ...pairedSummary(pairs), pairs } };
}

/**
 * One N as run.mjs writes it, where the separately measured ss -tin ran on a fast stretch (100 ms)
 * and the steps on a slow one: their ratio of medians is high, their paired ratios are not.
 */
function driftedSize(n) {
  const slowSs = [130, 135, 140];
  const agent = (msValues, extra = {}) => ({ ...pairedStep(msValues, slowSs), bytes: stat(1000), series: stat(10), agentStallMs: stat(5), memory: { rssMb: 50, peakMb: 60 }, ...extra });
  return {
    connections: n,
    ss_tin: { ms: summarize([99, 100, 101]), bytes: stat(1000), memory: { peakMb: 3 } },
    ss_tinp: { ms: summarize([190, 200, 210]), bytes: stat(1100), memory: { peakMb: 4 } },
    netlink: { ...pairedStep([55, 60, 65], slowSs), stallMs: stat(5), sockets: stat(2 * n), rssMb: stat(90) },
    scrape_raw: agent([117, 126, 133]), // per pair 0.90, 0.93, 0.95: PASS; medians 126/100: FAIL
    scrape_ss: agent([130, 140, 150]), // per pair 1.00, 1.04, 1.07: FAIL
    scrape_default: agent([100, 105, 110]), // 0.77, 0.78, 0.79: PASS
    scrape_peer: agent([100, 105, 110]),
    sockscope_host: { ...pairedStep([4, 4.2, 4.4], [4.4, 4.6, 4.6], 'node_exporter_net', 'node_exporter net'), bytes: stat(30_000), series: stat(266), agentStallMs: stat(3), memory: { rssMb: 80, peakMb: 80 } },
    // measured apart on a fast stretch: 3 ms, so the host-only scrape would be 1.4× by medians
    node_exporter_net: { ms: stat(3), bytes: stat(20_000), series: stat(202), memory: { rssMb: 18, peakMb: 18 } },
  };
}

test('ratioTo: the median of per-pair ratios when paired with that reference, the ratio of medians otherwise', () => {
  const s = driftedSize(10_000);
  assert.deepEqual(ratioTo(s, 'scrape_raw'), { value: 126 / 135, paired: true, refMs: 135 });
  assert.equal(ratio(s, 'scrape_raw'), 126 / 135);
  assert.deepEqual(ratioTo(s, 'ss_tinp'), { value: 2, paired: false, refMs: 100 });
  assert.deepEqual(ratioTo(s, 'sockscope_host', 'node_exporter_net'), { value: 4.2 / 4.6, paired: true, refMs: 4.6 });
  // the host-only scrape was paired with node_exporter, not with ss -tin: against ss it is a ratio of medians
  assert.deepEqual(ratioTo(s, 'sockscope_host'), { value: 4.2 / 100, paired: false, refMs: 100 });
  assert.ok(Number.isNaN(ratio({ connections: 1 }, 'netlink')));
});

test("goals are judged on the paired ratios, which a drift between the steps and the separate ss -tin would have flipped", () => {
  const sizes = [driftedSize(10_000), driftedSize(30_000)];
  const goals = evaluateGoals(sizes);
  const by = (re) => goals.find((g) => re.test(g.goal));
  const raw = by(/^full per-flow scrape/);
  assert.equal(raw.pass, true); // by medians 1.26×
  assert.deepEqual(raw.values.map((v) => [v.n, v.value, v.paired, v.refMs]), [[10_000, 126 / 135, true, 135], [30_000, 126 / 135, true, 135]]);
  assert.equal(by(/prometheus_ss_exporter format/).pass, false); // 140/135 paired
  assert.equal(by(/^default scrape/).pass, true); // by medians 1.05×
  assert.equal(by(/^netlink collection/).pass, true); // 60/135 paired; by medians 0.6×
  const host = by(/node_exporter's network collectors/);
  assert.equal(host.pass, true); // by medians 4.2/3 = 1.4×
  assert.deepEqual(host.values.map((v) => [v.value, v.paired, v.refMs]), [[4.2 / 4.6, true, 4.6], [4.2 / 4.6, true, 4.6]]);
  // the earlier issues' ratio goals read the same paired ratios
  const [collection, scrape10k] = evaluateEarlierGoals(sizes);
  assert.equal(collection.pass, true); // 0.44× ≤ 0.6×
  assert.equal(scrape10k.values[0].value, 126 / 135);
});

test('report: says how ratios are made, marks the unpaired ones, and shows each step\'s paired reference median and per-pair spread', () => {
  const sizes = [driftedSize(10_000), driftedSize(30_000)];
  const curve = costCurve(sizes);
  const result = {
    machine: { date: '2026-12-01T00:00:00.000Z', cores: 2, cpuModel: 'x', kernel: 'k', node: 'v20', loadavg: [0, 0, 0] },
    ratioMethod: RATIO_METHOD,
    options: { runs: 3, warmup: 1, probes: 3, large_runs: 3, large_from: 100_000, sizes: [10_000, 30_000], argv: [] },
    sizes, curve, goals: evaluateGoals(sizes, curve), earlierGoals: [],
  };
  assert.match(RATIO_METHOD, /median of its per-pair ratios/);
  assert.equal(ratioText(sizes[0], 'scrape_raw'), '0.93×');
  assert.equal(ratioText(sizes[0], 'scrape_raw', { long: true }), '0.93× ss -tin');
  assert.equal(ratioText(sizes[0], 'ss_tinp'), `2.00× ${UNPAIRED_MARK}`);
  assert.equal(ratioText(sizes[0], 'sockscope_host'), '0.91× node_exporter net');
  assert.equal(ratioText(sizes[0], 'ss_tin', { long: true }), 'reference');
  assert.deepEqual(pairedText(sizes[0].scrape_raw), ['ss -tin 135.0 ms (3 pairs, it ran first in 2)', '0.90–0.95×']);
  assert.deepEqual(pairedText(sizes[0].ss_tinp), ['-', '-']);

  const md = markdown(result);
  assert.ok(md.includes(`- ratios (the goals' and the tables' "×"), ${RATIO_METHOD}`), 'the header states the method');
  assert.match(md, /## Median time \(× ss -tin: median of per-pair ratios; the host-only scrape × node_exporter net, paired the same way\)/);
  assert.match(md, /\| scrape raw_endpoint \| 126\.0 ms \(0\.93×\) \| 126\.0 ms \(0\.93×\) \|/);
  assert.match(md, /\| sockscope host-only scrape \| 4\.2 ms \(0\.91× node_exporter net\) \|/);
  assert.match(md, /\| step \| median \| min–max \| × \(median of per-pair ratios\) \| its paired reference runs: median \| per-pair ratios: min–max \| notes \|/);
  assert.match(md, /\| scrape raw_endpoint \| 126\.0 ms \| 117\.0–133\.0 \| 0\.93× ss -tin \| ss -tin 135\.0 ms \(3 pairs, it ran first in 2\) \| 0\.90–0\.95× \| /);
  assert.match(md, /\| sockscope host-only scrape \| 4\.2 ms \| 4\.0–4\.4 \| 0\.91× node_exporter net \| node_exporter net 4\.6 ms \(3 pairs, it ran first in 2\) \| 0\.91–0\.96× \| /);
  assert.match(md, /\| ss -tinp \| 200\.0 ms \| 190\.0–210\.0 \| 2\.00× ss -tin † \| - \| - \| /);
  assert.match(md, /\| ss -tin \| 100\.0 ms \| 99\.0–101\.0 \| reference \| - \| - \| /);
  assert.match(md, /† not paired: the ratio of the two steps' medians/);
  const text = textTable(result);
  assert.match(text, /median \(× ss -tin, paired\)/);
  assert.match(text, /scrape raw_endpoint +126\.0 ms \(0\.93×\)/);
  assert.match(text, /4\.2 ms \(0\.91× node_exporter net\) +4\.2 ms \(0\.91× node_exporter net\)\n/); // columns as wide as their longest cell
  assert.ok(text.includes(`Ratios: ${RATIO_METHOD}`));
});
