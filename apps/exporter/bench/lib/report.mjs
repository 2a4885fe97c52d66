// Turns bench results into the printed table and latest.{json,md}.
import { cpus, loadavg, release } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RATIO_METHOD, SCRAPE_CONFIGS, describeGoal, ratioTo, verdict } from './goals.mjs';
import { LINEAR_MAX_GROWTH, LINEAR_REFERENCE_N } from './curve.mjs';

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

/**
 * The machine's CPU time so far from /proc/stat, in clock ticks: all of it and the part stolen
 * (a VM's cores running someone else's work: the hypervisor's "steal"); null where it cannot be read.
 */
export function machineCpuTicks(text = readProcStat()) {
  const line = text?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 8 || !f.every(Number.isFinite)) return null;
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] };
}

/** Percent of the machine's CPU time stolen between two readings of {@link machineCpuTicks}; undefined without both. */
export function stealPercent(before, after) {
  if (!before || !after || after.total <= before.total) return undefined;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

function readProcStat() {
  try {
    return readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
}

// The rows of one N, in print order: [key in the result, label, notes].
const ROWS = [
  ['ss_tin', 'ss -tin', ssNotes],
  ['ss_tinp', 'ss -tinp', ssNotes],
  ['netlink', 'netlink collect', (r) => `streamed: ${int(r.sockets)} sockets parsed and counted, none kept; longest stall ${ms(r.stallMs)} (max ${ms(r.stallMs, 'max')}), bench RSS ${r.rssMb.median.toFixed(0)} MB`],
  ['netlink_list', 'netlink collect, listed', (r) => `listSockets(): every record kept in a list (the agent never lists); longest stall ${ms(r.stallMs)} (max ${ms(r.stallMs, 'max')}), bench RSS ${r.rssMb.median.toFixed(0)} MB`],
  ['fold', 'netlink stream + fold', (r) =>
    `${int(r.sockets)} sockets → ${int(r.series)} series (default flows), fresh process with the CLI's Node flags: RSS growth ${r.rssGrowthMb.median.toFixed(1)} MB; ` +
    `listed first: ${r.listedRssGrowthMb.median.toFixed(1)} MB, ${ms(r.listedMs)}; folded under Node's default flags: ${r.defaultFlagsRssGrowthMb.median.toFixed(1)} MB, ${ms(r.defaultFlagsMs)}` +
    (r.peakMb ? `; peak RSS of the fresh process ${r.peakMb.median.toFixed(0)} MB` : '')],
  ['procfs', 'procfs sockets collect', (r) => `${int(r.sockets)} sockets, longest stall ${ms(r.stallMs)}`],
  ['attribution', 'process attribution', (r) => `${int(r.attributed)} of ${int(r.sockets)} sockets attributed`],
  ['scrape_default', 'scrape default (service)', scrapeNotes],
  ['scrape_raw', 'scrape raw_endpoint', scrapeNotes],
  ['scrape_ss', 'scrape ss_exporter format (raw_endpoint)', scrapeNotes],
  ['scrape_peer', 'scrape peer', scrapeNotes],
  ['sockscope_host', 'sockscope host-only scrape', scrapeNotes],
  ['node_exporter_net', 'node_exporter net collectors', scrapeNotes],
  ['node_exporter_full', 'node_exporter full scrape', scrapeNotes],
];

function ssNotes(r) {
  return `${mb(r.bytes)} output` + (Number.isFinite(r.memory?.peakMb) ? `, peak RSS ${r.memory.peakMb.toFixed(1)} MB` : '');
}

function scrapeNotes(r) {
  const parts = [`${int(r.series)} series`, mb(r.bytes)];
  if (Number.isFinite(r.firstScrapeMs)) parts.push(`first scrape of the fresh agent ${r.firstScrapeMs.toFixed(1)} ms`);
  if (r.memory) parts.push(`RSS ${r.memory.rssMb.toFixed(0)} MB (peak ${r.memory.peakMb.toFixed(0)} MB)`);
  if (r.agentNetlinkMs) parts.push(`netlink inside ${ms(r.agentNetlinkMs)}`);
  if (r.agentProcessMs) parts.push(`process inside ${ms(r.agentProcessMs)}`);
  if (r.agentStallMs) parts.push(`agent blocked ≤ ${ms(r.agentStallMs, 'max')} (${r.agentStallMs.runs} probed scrapes)`);
  return parts.join(', ');
}

const ms = (stat, which = 'median') => `${stat[which].toFixed(1)} ms`;
const int = (stat) => (stat ? Math.round(stat.median).toLocaleString('en-US') : '-');
const mb = (stat) => `${(stat.median / 2 ** 20).toFixed(2)} MB`;
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');

/** The step a row is compared with: node_exporter's network collectors for the host-only scrape, ss -tin for the rest. */
const REFERENCE = { sockscope_host: 'node_exporter_net' };
const REFERENCE_LABEL = { ss_tin: 'ss -tin', node_exporter_net: 'node_exporter net' };
const referenceOf = (key) => REFERENCE[key] ?? 'ss_tin';
/** Marks a ratio of two medians (a step not paired with its reference); the tables' footnote says so. */
export const UNPAIRED_MARK = '†';
const UNPAIRED_NOTE = `${UNPAIRED_MARK} not paired: the ratio of the two steps' medians, measured minutes apart (listed for scale, judged by no goal).`;

/**
 * A row's ratio as the tables print it: "0.85×" (paired with ss -tin: the median of per-pair
 * ratios), "0.70× node_exporter net" (paired with another reference), "1.91׆" (not paired: a
 * ratio of medians); `long` names ss -tin too (the per-N tables).
 */
export function ratioText(s, key, { long = false } = {}) {
  const ref = referenceOf(key);
  if (key === ref) return long ? 'reference' : '1.00×';
  const r = ratioTo(s, key, ref);
  if (!Number.isFinite(r.value)) return '-';
  const named = long || ref !== 'ss_tin' ? ` ${REFERENCE_LABEL[ref]}` : '';
  return `${fmtRatio(r.value)}${named}${r.paired ? '' : ' ' + UNPAIRED_MARK}`;
}

/** The paired reference runs of a row, for the reader to check its ratio: median and which went first; '-' when not paired. */
export function pairedText(r) {
  const p = r?.paired;
  if (!p) return ['-', '-'];
  return [`${REFERENCE_LABEL[p.with] ?? p.label} ${ms(p.ms)} (${p.ms.runs} pairs, it ran first in ${p.refFirst})`, `${p.ratio.min.toFixed(2)}–${p.ratio.max.toFixed(2)}×`];
}

const cell = (s, key) => (s[key] ? `${ms(s[key].ms)} (${ratioText(s, key)})` : '-');
const anyUnpaired = (result) => result.sizes.some((s) => ROWS.some(([key]) => s[key] && key !== referenceOf(key) && !ratioTo(s, key, referenceOf(key)).paired && Number.isFinite(ratioTo(s, key, referenceOf(key)).value)));
const heading = (s) => `${s.connections.toLocaleString('en-US')} conn.`;
const present = (result) => ROWS.filter(([key]) => result.sizes.some((s) => s[key]));

/** The plain-text report printed at the end of a run: one table (median, × ss -tin), details, goals. */
export function textTable(result) {
  // a column as wide as its longest cell (the host-only row names node_exporter), at least 24
  const widths = [44, ...result.sizes.map((s) => Math.max(24, ...present(result).map(([key]) => cell(s, key).length + 2)))];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('');
  const out = ['', line(['median (× ss -tin, paired)', ...result.sizes.map(heading)])];
  for (const [key, label] of present(result)) out.push(line([label, ...result.sizes.map((s) => cell(s, key))]));
  if (present(result).length > 0) out.push(`Ratios: ${RATIO_METHOD}`);
  if (anyUnpaired(result)) out.push(UNPAIRED_NOTE);
  for (const s of result.sizes) {
    out.push('', `${heading(s)} (${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen, ${s.holderProcesses} holder processes):`);
    for (const [key, label, notes] of ROWS) if (s[key]) out.push(`  ${label}: ${notes(s[key])}`);
  }
  if (result.containers) out.push('', 'Containers, the container enricher on and off:', ...containerLines(result.containers));
  if (result.curve?.length) {
    out.push('', 'Cost curve (least squares over the Ns; slope per 10k sockets):');
    for (const c of result.curve) out.push(`  ${c.label}: ${fmtSlope(c.msPer10kSockets, 'ms')} (R² ${fmtR2(c.msR2)}), peak RSS ${fmtSlope(c.mbPer10kSockets, 'MB')}`);
  }
  out.push('', "Goals (issue 20):");
  for (const g of result.goals) out.push(`  ${verdict(g.pass, g.missing).padEnd(12)} ${g.goal}: ${describeGoal(g)}`);
  if (result.earlierGoals?.length) {
    out.push('', "Earlier issues' goals (listed):");
    for (const g of result.earlierGoals) out.push(`  ${verdict(g.pass, g.missing).padEnd(12)} ${g.goal}: ${describeGoal(g)}`);
  }
  return out.join('\n') + '\n';
}

/** The Markdown report: machine, note, goals, the table, details per N, how to reproduce. */
export function markdown(result) {
  const m = result.machine;
  const out = ['# sockscope benchmark', '', `- date: ${m.date}`, `- machine: ${m.cores} cores, ${m.cpuModel}; kernel ${m.kernel}; node ${m.node}`,
    `- load average at start: ${m.loadavg.join(', ')}; at end: ${result.loadavgEnd?.join(', ') ?? '-'}`,
    `- ${runsLine(result.options)}; medians. ss: spawn to exit, output read fully (peak RSS from one more run under GNU time). Scrapes: request to last byte, uncompressed, every scrape collecting afresh; the body counted and dropped as it arrives, as ss's output is (an agent's first scrape, a warm-up, is kept whole for the checks and the series count).`,
    `- ratios (the goals' and the tables' "×"), ${RATIO_METHOD}`,
    '- connections: established loopback TCP in a private network namespace; each is two sockets (client and server side).',
    ...configLines(result)];
  if (result.options.note) out.push('', `> **Note:** ${result.options.note}`);
  out.push('', '## Goals (issue 20)', '', '| goal | measured | verdict |', '|---|---|---|');
  for (const g of result.goals) out.push(`| ${g.goal} | ${describeGoal(g)} | ${verdict(g.pass, g.missing)} |`);
  out.push('', 'Every ratio to ss -tin or to node_exporter above is a median of per-pair ratios (see the header); the tables per N below show each step\'s paired reference runs and the spread of its per-pair ratios.');
  out.push('', `"Linear": for each of sockscope's steps, the median time per socket at the largest N is at most ${LINEAR_MAX_GROWTH}× the time per socket at ${LINEAR_REFERENCE_N.toLocaleString('en-US')} connections (the smallest N when no N above ${LINEAR_REFERENCE_N.toLocaleString('en-US')} was measured with it). The least-squares slope and its R² are in the cost curve below.`);
  out.push(...curveLines(result));
  out.push(...probeLines(result));
  // a run of the containers step alone has no per-size rows: no empty tables then
  if (present(result).length > 0) out.push('', '## Median time (× ss -tin: median of per-pair ratios; the host-only scrape × node_exporter net, paired the same way)', '', `| step | ${result.sizes.map(heading).join(' | ')} |`, `|---|${result.sizes.map(() => '---:').join('|')}|`);
  for (const [key, label] of present(result)) out.push(`| ${label} | ${result.sizes.map((s) => cell(s, key)).join(' | ')} |`);
  if (anyUnpaired(result)) out.push('', UNPAIRED_NOTE);
  for (const s of result.sizes) {
    if (!ROWS.some(([key]) => s[key])) continue;
    out.push('', `## ${s.connections.toLocaleString('en-US')} connections`, '', `${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen by netlink, held by ${s.holderProcesses} processes.`, '',
      '| step | median | min–max | × (median of per-pair ratios) | its paired reference runs: median | per-pair ratios: min–max | notes |', '|---|---:|---:|---:|---|---:|---|');
    for (const [key, label, notes] of ROWS) {
      const r = s[key];
      if (r) out.push(`| ${label} | ${ms(r.ms)} | ${r.ms.min.toFixed(1)}–${r.ms.max.toFixed(1)} | ${ratioText(s, key, { long: true })} | ${pairedText(r).join(' | ')} | ${notes(r)} |`);
    }
    if (ROWS.some(([key]) => s[key] && key !== referenceOf(key) && !ratioTo(s, key, referenceOf(key)).paired)) out.push('', UNPAIRED_NOTE);
  }
  if (result.containers) out.push('', '## Containers: the container enricher on and off', '', ...containerLines(result.containers));
  if (result.earlierGoals?.length) {
    out.push('', "## Earlier issues' goals (listed, not issue 20's verdict)", '', '| goal | measured | verdict |', '|---|---|---|');
    for (const g of result.earlierGoals) out.push(`| ${g.goal} | ${describeGoal(g)} | ${verdict(g.pass, g.missing)} |`);
  }
  out.push('', '## Reproduce', '', ...reproduce('bench', 'run.mjs', result.options.argv));
  return out.join('\n');
}

const fmtSlope = (x, unit = '') => (Number.isFinite(x) ? `${x.toFixed(x >= 10 ? 1 : 2)}${unit ? ' ' + unit : ''}` : '-');
const fmtR2 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '-');

function runsLine(o) {
  const large = o.large_runs !== undefined && (o.sizes ?? []).some((n) => n >= o.large_from)
    ? `, ${o.large_runs} at ${o.large_from.toLocaleString('en-US')} connections and above` : '';
  const hostRuns = o.host_runs !== undefined ? `${o.host_runs} runs ` : '';
  const host = o.host_warmup !== undefined && (o.host_warmup !== o.warmup || o.host_runs !== undefined) ? ` (the host-only steps, sockscope's and node_exporter's: ${hostRuns}after ${o.host_warmup} warm-up scrapes)` : '';
  const scrapes = o.scrape_warmup !== undefined && o.scrape_warmup !== o.warmup ? ` (sockscope's scrape configs: after ${o.scrape_warmup} warm-up scrapes of the fresh agent, the first one's time in the notes)` : '';
  return `${o.runs} runs per step${large} after ${o.warmup} warm-up${scrapes}${host}; the agent-blocked probe during ${o.probes ?? 2} more scrapes of every config at every N`;
}

/** Header lines: what each measured config keeps on, as checked in its agent's first scrape at every N. */
export function configLines(result) {
  const lines = [];
  for (const [key, label] of SCRAPE_CONFIGS) {
    const checks = result.sizes.map((s) => s[key]?.checks).filter(Boolean);
    if (checks.length === 0) continue;
    if (key === 'sockscope_host') {
      lines.push(`  - ${label}: the host collector alone (no socket collector, no enrichers), by design`);
      continue;
    }
    const all = (f) => checks.every(f);
    const procs = checks.map((c) => c.processInfo).filter((x) => x > 0);
    const parts = [
      all((c) => c.processEnricher) ? `process attribution on (enricher:process ran${procs.length ? `; ${Math.min(...procs)}–${Math.max(...procs)} processes in sockscope_process_info` : ''})` : '**process attribution OFF in some scrape**',
      all((c) => c.counters.length > 0) ? `counters on (${checks[0].counters.length} per-flow counter families, e.g. ${checks[0].counters.slice(0, 2).join(', ')})` : '**per-flow counters MISSING in some scrape**',
      all((c) => c.histograms.length > 0) ? `histogram on (${checks[0].histograms.join(', ')})` : '**histogram MISSING in some scrape**',
    ];
    lines.push(`  - ${label}: ${parts.join('; ')}`);
  }
  if (lines.length === 0) return [];
  return ['- measured configs, checked in each agent\'s first scrape at every N (nothing turned off to reach a goal):', ...lines];
}

/** The cost curve: the chart, then per step its medians, slope per 10k sockets and R². */
function curveLines(result) {
  if (!result.curve?.length) return [];
  const ns = result.sizes.map((s) => s.connections);
  const head = ns.map((n) => n.toLocaleString('en-US')).join(' / ');
  const out = ['', '## Cost curve', ''];
  if (result.svg) out.push(`![time and peak RSS against connections](${result.svg})`, '');
  out.push('Least squares over the Ns of median time (and peak RSS) against sockets (2 per connection); slope per 10k sockets.', '',
    `| step | ms at ${head} | ms per 10k sockets | R² | time per socket, largest N ÷ reference N (${LINEAR_REFERENCE_N.toLocaleString('en-US')}) | peak RSS MB at ${head} | MB per 10k sockets | R² |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`);
  const at = (c, n, f) => {
    const p = c.points.find((q) => q.n === n);
    return p && Number.isFinite(f(p)) ? f(p).toFixed(1) : '-';
  };
  for (const c of result.curve) {
    out.push(`| ${c.label} | ${ns.map((n) => at(c, n, (p) => p.ms)).join(' / ')} | ${fmtSlope(c.msPer10kSockets)} | ${fmtR2(c.msR2)} | ${Number.isFinite(c.linearity.growth) ? `${c.linearity.growth.toFixed(2)}× (${c.linearity.lastN.toLocaleString('en-US')} vs ${c.linearity.refN.toLocaleString('en-US')})` : '-'} | ${ns.map((n) => at(c, n, (p) => p.peakMb)).join(' / ')} | ${fmtSlope(c.mbPer10kSockets)} | ${fmtR2(c.mbR2)} |`);
  }
  return out;
}

/** The agent-blocked probe: slowest /health answer during the probed scrapes, every config at every N. */
function probeLines(result) {
  const rows = SCRAPE_CONFIGS.filter(([key]) => result.sizes.some((s) => s[key]?.agentStallMs));
  if (rows.length === 0) return [];
  const out = ['', '## Agent blocked: slowest /health answer during a scrape (ms; max over the probed scrapes, median in brackets)', '',
    `| config | ${result.sizes.map(heading).join(' | ')} |`, `|---|${result.sizes.map(() => '---:').join('|')}|`];
  for (const [key, label] of rows) {
    out.push(`| ${label} | ${result.sizes.map((s) => (s[key]?.agentStallMs ? `${s[key].agentStallMs.max.toFixed(1)} (${s[key].agentStallMs.median.toFixed(1)})` : '-')).join(' | ')} |`);
  }
  return out;
}

const pct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;

/** The containers step as Markdown lines: what was set up, then one row per agent beside ss -tin. */
function containerLines(c) {
  const row = (label, r) => `| ${label} | ${ms(r.ms)} | ${r.ms.min.toFixed(1)}–${r.ms.max.toFixed(1)} | ${fmtRatio(r.ms.median / c.ss_tin.ms.median)} | ${r.memory ? scrapeNotes(r) + (r.agentContainerMs ? `, container inside ${ms(r.agentContainerMs)}` : '') : mb(r.bytes) + ' output'} |`;
  return [
    `${c.connections.toLocaleString('en-US')} connections handed to ${c.containers} processes, each in a fake Kubernetes container (containerd, systemd cgroup driver, both cgroup hierarchies, an OCI bundle with the CRI annotations in a temp state root); ` +
      `the enricher named ${c.named.withPod} containers in ${c.named.pods} pods and ${c.named.namespaces} namespaces. The two agents ran side by side, scraped alternately.`,
    '',
    '| step | median | min–max | × ss -tin | notes |',
    '|---|---:|---:|---:|---|',
    row('ss -tin', c.ss_tin),
    row('scrape default, container enricher off', c.off),
    row('scrape default, container enricher on', c.on),
    '',
    `Added by the container enricher: ${pct(c.addedPct)} scrape time (median on ÷ median off − 1)` +
      (Number.isFinite(c.addedCpuPct) ? `; ${pct(c.addedCpuPct)} agent CPU time per scrape (${c.on.cpuMs.median.toFixed(0)} ms on, ${c.off.cpuMs.median.toFixed(0)} ms off, all threads, from /proc/<pid>/task/*/schedstat).` : '.'),
  ];
}

/** Markdown lines saying how to run the same again (as root, from the repository root). */
export function reproduce(script, file, argv) {
  const args = argv.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  return ['As root, from the repository root: `pnpm ' + script + '` builds the packages and runs the bench; with a build in place the script can be run directly:', '',
    '```sh', `pnpm ${script}`, `node apps/exporter/bench/${file}${args ? ' ' + args : ''}`, '```', ''];
}

/** Writes `<name>.json` and `<name>.md` (and `<name>.svg` when given) into `dir`; returns the paths. */
export function writeResults(dir, name, result, md, svg) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const mdPath = join(dir, `${name}.md`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(mdPath, md);
  if (svg === undefined) return [json, mdPath];
  const svgPath = join(dir, `${name}.svg`);
  writeFileSync(svgPath, svg);
  return [json, mdPath, svgPath];
}
