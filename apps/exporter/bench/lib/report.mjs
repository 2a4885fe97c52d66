// Turns bench results into the printed table, the goals with pass/fail, and latest.{json,md}.
import { cpus, loadavg, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Facts about the machine the numbers came from. */
export function machineInfo() {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    date: new Date().toISOString(),
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

// The rows of one N, in print order: [key in the result, label, ratio to ss -tin?, notes].
const ROWS = [
  ['ss_tin', 'ss -tin', true, (r) => `${mb(r.bytes)} output`],
  ['ss_tinp', 'ss -tinp', true, (r) => `${mb(r.bytes)} output`],
  ['netlink', 'netlink collect', true, (r) => `${int(r.sockets)} sockets, longest stall ${ms(r.stallMs)} (max ${ms(r.stallMs, 'max')}), RSS ${mb1(r.rssMb)}`],
  ['procfs', 'procfs sockets collect', true, (r) => `${int(r.sockets)} sockets, longest stall ${ms(r.stallMs)}`],
  ['attribution', 'process attribution', true, (r) => `${int(r.attributed)} of ${int(r.sockets)} sockets attributed`],
  ['scrape_raw', 'scrape raw_endpoint', true, scrapeNotes],
  ['scrape_peer', 'scrape peer', true, scrapeNotes],
  ['sockscope_host', 'sockscope host-only scrape', true, scrapeNotes],
  ['node_exporter_net', 'node_exporter net collectors', true, scrapeNotes],
  ['node_exporter_full', 'node_exporter full scrape', true, scrapeNotes],
];

function scrapeNotes(r) {
  const mem = r.memory ? `, RSS ${r.memory.rssMb.toFixed(0)} MB (peak ${r.memory.peakMb.toFixed(0)} MB)` : '';
  const inside = r.agentNetlinkMs ? `, inside: netlink ${ms(r.agentNetlinkMs)}${r.agentProcessMs ? `, process ${ms(r.agentProcessMs)}` : ''}` : '';
  return `${int(r.series)} series, ${mb(r.bytes)}${mem}${inside}`;
}

const med = (stat, which = 'median') => (stat ? stat[which] : NaN);
const ms = (stat, which) => `${med(stat, which).toFixed(1)} ms`;
const int = (stat) => Math.round(med(stat)).toLocaleString('en-US');
const mb = (stat) => `${(med(stat) / 2 ** 20).toFixed(2)} MB`;
const mb1 = (stat) => `${med(stat).toFixed(0)} MB`;

/** Ratio of a step's median time to `ss -tin`'s at the same N. */
export function ratio(size, key) {
  return med(size[key]?.ms) / med(size.ss_tin?.ms);
}

/** The issue's goals, each with the measured value and pass/fail (undefined when not measured). */
export function evaluateGoals(sizes) {
  const at = (n) => sizes.find((s) => s.connections === n);
  const goal = (name, limit, values) => {
    const measured = values.filter((v) => Number.isFinite(v.value));
    return { goal: name, limit, values: measured, pass: measured.length === 0 ? undefined : measured.every((v) => v.ok(v.value)) };
  };
  const collection = goal('collection ≤ 0.6× ss -tin (netlink collect, every N)', '0.6×',
    sizes.map((s) => ({ n: s.connections, value: ratio(s, 'netlink'), unit: '×', ok: (v) => v <= 0.6 })));
  const scrape10k = goal('full per-flow scrape (raw_endpoint) at 10k ≤ 2× ss -tin', '2×',
    [{ n: 10_000, value: at(10_000) ? ratio(at(10_000), 'scrape_raw') : NaN, unit: '×', ok: (v) => v <= 2 }]);
  const s30k = at(30_000);
  const rss = goal('RSS ≤ 150 MB at 30k (sockscope CLI peak VmHWM, raw_endpoint and peer)', '150 MB',
    [{ n: 30_000, value: s30k ? Math.max(s30k.scrape_raw?.memory?.peakMb ?? NaN, s30k.scrape_peer?.memory?.peakMb ?? NaN) : NaN, unit: 'MB', ok: (v) => v <= 150 }]);
  const stall = goal('longest event-loop stall ≤ 50 ms (netlink collect, median of per-run longest, every N)', '50 ms',
    sizes.map((s) => ({ n: s.connections, value: med(s.netlink?.stallMs), unit: 'ms', ok: (v) => v <= 50 })));
  return [collection, scrape10k, rss, stall];
}

const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');
const verdict = (pass) => (pass === undefined ? 'not measured' : pass ? 'PASS' : 'FAIL');
const fmtValue = (v) => `${v.value.toFixed(v.unit === '×' ? 2 : 1)}${v.unit === '×' ? '×' : ' ' + v.unit} at ${v.n.toLocaleString('en-US')}`;

/** The plain-text table printed at the end of a run. */
export function textTable(result) {
  const out = [];
  for (const s of result.sizes) {
    out.push('', `N = ${s.connections.toLocaleString('en-US')} connections (${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen, ${s.holderProcesses} holder processes)`);
    for (const [key, label, withRatio, notes] of ROWS) {
      const r = s[key];
      if (!r) continue;
      const rt = withRatio ? `${fmtRatio(ratio(s, key))} ss -tin` : '';
      out.push(`  ${label.padEnd(30)} ${ms(r.ms).padStart(11)}  ${rt.padStart(14)}   ${notes(r)}`);
    }
  }
  out.push('', 'Goals:');
  for (const g of result.goals) out.push(`  ${verdict(g.pass).padEnd(12)} ${g.goal}: ${g.values.map(fmtValue).join(', ') || '-'}`);
  return out.join('\n') + '\n';
}

/** The Markdown report (machine, notes, one table per N, goals, how to reproduce). */
export function markdown(result, title = 'sockscope benchmark') {
  const m = result.machine;
  const out = [`# ${title}`, '', `- date: ${m.date}`, `- machine: ${m.cores} cores, ${m.cpuModel}; kernel ${m.kernel}; node ${m.node}`,
    `- load average at start: ${m.loadavg.join(', ')}; at end: ${result.loadavgEnd?.join(', ') ?? '-'}`,
    `- runs per step: ${result.options.runs} after ${result.options.warmup} warm-up; times are medians (spawn to exit for ss, request to last byte for scrapes)`];
  if (result.options.note) out.push('', `> **Note:** ${result.options.note}`);
  out.push('', '## Goals', '', '| goal | measured | verdict |', '|---|---|---|');
  for (const g of result.goals) out.push(`| ${g.goal} | ${g.values.map(fmtValue).join(', ') || '-'} | ${verdict(g.pass)} |`);
  for (const s of result.sizes) {
    out.push('', `## ${s.connections.toLocaleString('en-US')} connections`, '', `${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen by netlink, held by ${s.holderProcesses} processes.`, '',
      '| step | median | min–max | × ss -tin | notes |', '|---|---:|---:|---:|---|');
    for (const [key, label, , notes] of ROWS) {
      const r = s[key];
      if (!r) continue;
      out.push(`| ${label} | ${ms(r.ms)} | ${med(r.ms, 'min').toFixed(1)}–${med(r.ms, 'max').toFixed(1)} | ${fmtRatio(ratio(s, key))} | ${notes(r)} |`);
    }
  }
  out.push('', '## Reproduce', '', '```sh', `sudo pnpm bench${result.options.argv.length ? ' -- ' + result.options.argv.join(' ') : ''}`, '```', '');
  return out.join('\n');
}

/** Writes `<name>.json` and `<name>.md` into `dir`; returns the two paths. */
export function writeResults(dir, name, result, md) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const mdPath = join(dir, `${name}.md`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(mdPath, md);
  return [json, mdPath];
}
