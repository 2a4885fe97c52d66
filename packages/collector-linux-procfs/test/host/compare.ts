// Side-by-side reads of sockscope and node_exporter, and their comparison, shared by the
// host-namespace and the test-namespace comparison tests.
import { createPluginContext, renderHostFamilies, type MetricFamily, type Warning } from '@sockscope/core';
import type { HostCollectorConfig } from '../../src/config.js';
import { linuxProcfsHostCollector } from '../../src/plugins/linux-procfs.js';
import { parseExposition, type ExposedFamily } from './exposition.js';
import type { RunningExporter } from './node-exporter.js';

/** Families newer node_exporter releases publish and Debian 12's 1.5 does not; sockscope follows upstream. */
export const NEWER_FAMILIES = new Set([
  'node_softnet_cpu_collision_total',
  'node_softnet_received_rps_total',
  'node_softnet_flow_limit_count_total',
  'node_softnet_backlog_len',
]);
/** node_network_info label added after 1.5; left out of the comparison when node_exporter lacks it. */
const NEWER_INFO_LABEL = 'adminstate';

// Some gauges move on their own (sockets opening, socket memory pages, conntrack entries):
// node_exporter read them between sockscope's two reads, but a gauge need not move
// monotonically, so these get a little slack. Every other value (interface properties,
// counters) must lie exactly between the two reads.
const moving = (name: string) =>
  name.startsWith('node_sockstat_') || name === 'node_netstat_Tcp_CurrEstab' || name === 'node_nf_conntrack_entries' || name === 'node_softnet_backlog_len';

/** One sockscope read, a node_exporter scrape, another sockscope read. */
export interface SideBySide {
  /** node_exporter's families, without its own scrape and build metrics. */
  ne: Map<string, ExposedFamily>;
  /** sockscope before the scrape. */
  before: Map<string, MetricFamily>;
  /** sockscope after the scrape. */
  after: Map<string, MetricFamily>;
  /** Collector warnings of both reads. */
  warnings: Warning[];
}

/** Reads sockscope, scrapes node_exporter, reads sockscope again: node_exporter's values lie between. */
export async function sideBySide(exporter: RunningExporter, config: Partial<HostCollectorConfig>): Promise<SideBySide> {
  const collector = await linuxProcfsHostCollector.create(createPluginContext(linuxProcfsHostCollector, config));
  const warnings: Warning[] = [];
  try {
    const read = async () => {
      const r = await collector.stream(new AbortController().signal, () => {});
      warnings.push(...(r.warnings ?? []));
      return new Map(renderHostFamilies(r.host ?? {}).map((f) => [f.name, f]));
    };
    const before = await read();
    const text = await exporter.scrape();
    const after = await read();
    const ne = parseExposition(text);
    for (const name of [...ne.keys()]) if (!name.startsWith('node_') || name.startsWith('node_scrape_') || name === 'node_exporter_build_info') ne.delete(name);
    return { ne, before, after, warnings };
  } finally {
    await collector.close();
  }
}

/** What differs between node_exporter and sockscope in one side-by-side read. */
export interface Comparison {
  /** Families node_exporter publishes and sockscope does not. */
  missing: string[];
  /** Families sockscope publishes and node_exporter does not, beyond {@link NEWER_FAMILIES}. */
  extra: string[];
  /** Type, HELP and label-set differences. */
  structure: string[];
  /** Values outside the window of sockscope's two reads. */
  values: string[];
  /** Number of node_exporter samples whose value was compared. */
  compared: number;
}

/** Compares every family both publish: names, types, HELP, label sets and values; `alsoExtra` names further expected extras. */
export function compare({ ne, before, after }: SideBySide, alsoExtra: ReadonlySet<string> = new Set()): Comparison {
  const ours = new Set([...before.keys(), ...after.keys()]);
  const out: Comparison = {
    missing: [...ne.keys()].filter((n) => !ours.has(n)).sort(),
    extra: [...ours].filter((n) => !ne.has(n) && !NEWER_FAMILIES.has(n) && !alsoExtra.has(n)).sort(),
    structure: [],
    values: [],
    compared: 0,
  };
  for (const [name, theirs] of ne) {
    const mine = before.get(name) ?? after.get(name);
    if (!mine) continue;
    if (mine.type !== theirs.type) out.structure.push(`${name}: type ${mine.type}, node_exporter ${theirs.type}`);
    if (mine.help !== theirs.help) out.structure.push(`${name}: HELP ${JSON.stringify(mine.help)}, node_exporter ${JSON.stringify(theirs.help)}`);
    const neHasAdmin = theirs.samples.some((s) => NEWER_INFO_LABEL in s.labels);
    const drop = name === 'node_network_info' && !neHasAdmin ? NEWER_INFO_LABEL : undefined;
    const b = seriesOf(before.get(name), drop);
    const a = seriesOf(after.get(name), drop);
    const theirKeys = new Set(theirs.samples.map((s) => key(s.labels)));
    // Interfaces may come and go between the reads (other tests create veths): every series
    // node_exporter has must be in one of ours, every series in both of ours must be in theirs.
    for (const k of theirKeys) if (!b.has(k) && !a.has(k)) out.structure.push(`${name}{${k}}: only node_exporter has it`);
    for (const k of b.keys()) if (a.has(k) && !theirKeys.has(k)) out.structure.push(`${name}{${k}}: only sockscope has it`);

    for (const s of theirs.samples) {
      const k = key(s.labels);
      const v0 = b.get(k);
      const v1 = a.get(k);
      if (v0 === undefined || v1 === undefined) continue; // a series that came or went mid-window
      const lo = Math.min(v0, v1);
      const hi = Math.max(v0, v1);
      const unit = name.endsWith('_mem_bytes') ? 4096 : 1;
      const slack = moving(name) ? Math.max(8 * unit, 0.1 * Math.max(Math.abs(lo), Math.abs(hi))) : 0;
      out.compared++;
      if (s.value < lo - slack || s.value > hi + slack) out.values.push(`${name}{${k}} node_exporter ${s.value}, sockscope ${v0} → ${v1}`);
    }
  }
  return out;
}

function key(labels: Readonly<Record<string, string>>, drop?: string): string {
  return Object.keys(labels)
    .filter((k) => k !== drop)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

function seriesOf(f: MetricFamily | undefined, drop?: string): Map<string, number> {
  return new Map((f?.samples ?? []).map((s) => [key(s.labels, drop), s.value]));
}
