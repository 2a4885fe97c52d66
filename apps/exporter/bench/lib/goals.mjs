// The goals, read against a bench result: each with what was measured and pass/fail.

const med = (stat) => (stat ? stat.median : NaN);

/** Ratio of a step's median time to `ss -tin`'s at the same N. */
export function ratio(size, key) {
  return med(size[key]?.ms) / med(size.ss_tin?.ms);
}

/**
 * Goals with `values` ({ n, value, unit }) and `pass` (undefined when nothing was measured).
 * `containers`: the containers step's result, when it ran.
 */
export function evaluateGoals(sizes, containers) {
  const at = (n) => sizes.find((s) => s.connections === n);
  const goal = (name, values, ok) => {
    const measured = values.filter((v) => Number.isFinite(v.value));
    return { goal: name, values: measured, pass: measured.length === 0 ? undefined : measured.every((v) => ok(v.value)) };
  };
  const collection = goal('collection ≤ 0.6× ss -tin (netlink collect, every N)',
    sizes.map((s) => ({ n: s.connections, value: ratio(s, 'netlink'), unit: '×' })), (v) => v <= 0.6);
  const scrape10k = goal('full per-flow scrape (raw_endpoint) at 10k ≤ 2× ss -tin',
    [{ n: 10_000, value: at(10_000) ? ratio(at(10_000), 'scrape_raw') : NaN, unit: '×' }], (v) => v <= 2);
  // Judged on the default config; the opt-in every-flow configs are listed beside it, not judged.
  const peak = (key) => at(30_000)?.[key]?.memory?.peakMb ?? NaN;
  const rss = goal('RSS ≤ 150 MB at 30k (sockscope CLI peak VmHWM, default config)',
    [{ n: 30_000, value: peak('scrape_default'), unit: 'MB' }], (v) => v <= 150);
  rss.info = [['peer', peak('scrape_peer')], ['raw_endpoint', peak('scrape_raw')]]
    .filter(([, v]) => Number.isFinite(v)).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ');
  const stall = goal('longest event-loop stall ≤ 50 ms (netlink collect in-process, median of per-run longest, every N)',
    sizes.map((s) => ({ n: s.connections, value: med(s.netlink?.stallMs), unit: 'ms' })), (v) => v <= 50);
  const growth = goal("RSS growth ≤ 40 MB at 30k when records are folded as they are parsed (netlink stream → flow fold, fresh process with the CLI's Node flags, median)",
    [{ n: 30_000, value: med(at(30_000)?.fold?.rssGrowthMb), unit: 'MB' }], (v) => v <= 40);
  const fold30k = at(30_000)?.fold;
  growth.info = [['listed first', med(fold30k?.listedRssGrowthMb)], ["folded under Node's default flags", med(fold30k?.defaultFlagsRssGrowthMb)]]
    .filter(([, v]) => Number.isFinite(v)).map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ');
  // issue 16: judged at whatever N the step ran (the largest size; 30k in pnpm bench), on the
  // agent's CPU time per scrape: on a shared machine the wall time of two agents scraped in turn
  // moves by more than 5 % from run to run, their CPU time much less (scrape time listed beside)
  const cpuMeasured = Number.isFinite(containers?.addedCpuPct);
  const names = goal(`container enricher adds ≤ 5 % to a default-config scrape (${cpuMeasured || !containers ? "the agent's CPU time per scrape" : 'scrape time'}, ${containers?.containers ?? 200} fake containers, on vs off side by side, medians)`,
    [{ n: containers?.connections ?? 30_000, value: cpuMeasured ? containers.addedCpuPct : (containers?.addedPct ?? NaN), unit: '%' }], (v) => v <= 5);
  if (containers) {
    const wall = cpuMeasured ? `scrape time ${containers.addedPct.toFixed(1)} %, ` : '';
    names.info = `${wall}peak RSS ${containers.on.memory.peakMb.toFixed(0)} MB on, ${containers.off.memory.peakMb.toFixed(0)} MB off`;
  }
  return [collection, scrape10k, rss, growth, stall, names];
}

/** PASS, FAIL or not measured. */
export const verdict = (pass) => (pass === undefined ? 'not measured' : pass ? 'PASS' : 'FAIL');

/** What a goal measured, as one line. */
export function describeGoal(g) {
  const value = (v) => `${v.value.toFixed(v.unit === '×' ? 2 : 1)}${v.unit === '×' ? '×' : ' ' + v.unit} at ${v.n.toLocaleString('en-US')}`;
  return (g.values.map(value).join(', ') || '-') + (g.info ? ` (not judged: ${g.info})` : '');
}
