// Turns bench results into the printed table and latest.{json,md}.
import { cpus, loadavg, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeGoal, ratio, verdict } from './goals.mjs';

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

// The rows of one N, in print order: [key in the result, label, notes].
const ROWS = [
  ['ss_tin', 'ss -tin', (r) => `${mb(r.bytes)} output`],
  ['ss_tinp', 'ss -tinp', (r) => `${mb(r.bytes)} output`],
  ['netlink', 'netlink collect', (r) => `${int(r.sockets)} sockets, longest stall ${ms(r.stallMs)} (max ${ms(r.stallMs, 'max')}), bench RSS ${r.rssMb.median.toFixed(0)} MB`],
  ['fold', 'netlink stream + fold', (r) =>
    `${int(r.sockets)} sockets → ${int(r.series)} series (default flows), fresh process with the CLI's Node flags: RSS growth ${r.rssGrowthMb.median.toFixed(1)} MB; ` +
    `listed first: ${r.listedRssGrowthMb.median.toFixed(1)} MB, ${ms(r.listedMs)}; folded under Node's default flags: ${r.defaultFlagsRssGrowthMb.median.toFixed(1)} MB, ${ms(r.defaultFlagsMs)}`],
  ['procfs', 'procfs sockets collect', (r) => `${int(r.sockets)} sockets, longest stall ${ms(r.stallMs)}`],
  ['attribution', 'process attribution', (r) => `${int(r.attributed)} of ${int(r.sockets)} sockets attributed`],
  ['scrape_default', 'scrape default (service)', scrapeNotes],
  ['scrape_raw', 'scrape raw_endpoint', scrapeNotes],
  ['scrape_peer', 'scrape peer', scrapeNotes],
  ['sockscope_host', 'sockscope host-only scrape', scrapeNotes],
  ['node_exporter_net', 'node_exporter net collectors', scrapeNotes],
  ['node_exporter_full', 'node_exporter full scrape', scrapeNotes],
];

function scrapeNotes(r) {
  const parts = [`${int(r.series)} series`, mb(r.bytes)];
  if (r.memory) parts.push(`RSS ${r.memory.rssMb.toFixed(0)} MB (peak ${r.memory.peakMb.toFixed(0)} MB)`);
  if (r.agentNetlinkMs) parts.push(`netlink inside ${ms(r.agentNetlinkMs)}`);
  if (r.agentProcessMs) parts.push(`process inside ${ms(r.agentProcessMs)}`);
  if (r.agentStallMs) parts.push(`agent blocked ≤ ${ms(r.agentStallMs, 'max')}`);
  return parts.join(', ');
}

const ms = (stat, which = 'median') => `${stat[which].toFixed(1)} ms`;
const int = (stat) => (stat ? Math.round(stat.median).toLocaleString('en-US') : '-');
const mb = (stat) => `${(stat.median / 2 ** 20).toFixed(2)} MB`;
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');
const cell = (s, key) => (s[key] ? `${ms(s[key].ms)} (${fmtRatio(ratio(s, key))})` : '-');
const heading = (s) => `${s.connections.toLocaleString('en-US')} conn.`;
const present = (result) => ROWS.filter(([key]) => result.sizes.some((s) => s[key]));

/** The plain-text report printed at the end of a run: one table (median, × ss -tin), details, goals. */
export function textTable(result) {
  const widths = [30, ...result.sizes.map(() => 24)];
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('');
  const out = ['', line(['median (× ss -tin)', ...result.sizes.map(heading)])];
  for (const [key, label] of present(result)) out.push(line([label, ...result.sizes.map((s) => cell(s, key))]));
  for (const s of result.sizes) {
    out.push('', `${heading(s)} (${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen, ${s.holderProcesses} holder processes):`);
    for (const [key, label, notes] of ROWS) if (s[key]) out.push(`  ${label}: ${notes(s[key])}`);
  }
  if (result.containers) out.push('', 'Containers, the container enricher on and off:', ...containerLines(result.containers));
  out.push('', 'Goals:');
  for (const g of result.goals) out.push(`  ${verdict(g.pass).padEnd(12)} ${g.goal}: ${describeGoal(g)}`);
  return out.join('\n') + '\n';
}

/** The Markdown report: machine, note, goals, the table, details per N, how to reproduce. */
export function markdown(result) {
  const m = result.machine;
  const out = ['# sockscope benchmark', '', `- date: ${m.date}`, `- machine: ${m.cores} cores, ${m.cpuModel}; kernel ${m.kernel}; node ${m.node}`,
    `- load average at start: ${m.loadavg.join(', ')}; at end: ${result.loadavgEnd?.join(', ') ?? '-'}`,
    `- ${result.options.runs} runs per step after ${result.options.warmup} warm-up; medians. ss: spawn to exit, output read fully. Scrapes: request to last byte, uncompressed, every scrape collecting afresh.`,
    '- connections: established loopback TCP in a private network namespace; each is two sockets (client and server side).'];
  if (result.options.note) out.push('', `> **Note:** ${result.options.note}`);
  out.push('', '## Goals', '', '| goal | measured | verdict |', '|---|---|---|');
  for (const g of result.goals) out.push(`| ${g.goal} | ${describeGoal(g)} | ${verdict(g.pass)} |`);
  // a run of the containers step alone has no per-size rows: no empty tables then
  if (present(result).length > 0) out.push('', '## Median time (× ss -tin)', '', `| step | ${result.sizes.map(heading).join(' | ')} |`, `|---|${result.sizes.map(() => '---:').join('|')}|`);
  for (const [key, label] of present(result)) out.push(`| ${label} | ${result.sizes.map((s) => cell(s, key)).join(' | ')} |`);
  for (const s of result.sizes) {
    if (!ROWS.some(([key]) => s[key])) continue;
    out.push('', `## ${s.connections.toLocaleString('en-US')} connections`, '', `${int(s.netlink?.sockets ?? s.procfs?.sockets)} sockets seen by netlink, held by ${s.holderProcesses} processes.`, '',
      '| step | median | min–max | × ss -tin | notes |', '|---|---:|---:|---:|---|');
    for (const [key, label, notes] of ROWS) {
      const r = s[key];
      if (r) out.push(`| ${label} | ${ms(r.ms)} | ${r.ms.min.toFixed(1)}–${r.ms.max.toFixed(1)} | ${fmtRatio(ratio(s, key))} | ${notes(r)} |`);
    }
  }
  if (result.containers) out.push('', '## Containers: the container enricher on and off', '', ...containerLines(result.containers));
  out.push('', '## Reproduce', '', ...reproduce('bench', 'run.mjs', result.options.argv));
  return out.join('\n');
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

/** Writes `<name>.json` and `<name>.md` into `dir`; returns the two paths. */
export function writeResults(dir, name, result, md) {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const mdPath = join(dir, `${name}.md`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(mdPath, md);
  return [json, mdPath];
}
