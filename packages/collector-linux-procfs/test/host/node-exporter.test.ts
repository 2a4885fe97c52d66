import { existsSync } from 'node:fs';
import { renderHostFamilies, type MetricFamily } from '@sockscope/core';
import { testContext } from '@sockscope/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostCollectorConfig } from '../../src/host/config.js';
import { linuxProcfsHostCollector } from '../../src/host/plugin.js';
import { parseExposition, type ExposedFamily } from './exposition.js';
import { NODE_EXPORTER, startNodeExporter, type RunningExporter } from './node-exporter.js';

const available = process.platform === 'linux' && existsSync(NODE_EXPORTER);
const skipReason = available ? '' : ` (skipped: ${NODE_EXPORTER} is not installed; apt-get install prometheus-node-exporter)`;

// Families and labels newer node_exporter releases publish and Debian's 1.5 does not: sockscope
// follows upstream, so these are expected extras when the installed version is older.
const NEWER_FAMILIES = new Set([
  'node_softnet_cpu_collision_total',
  'node_softnet_received_rps_total',
  'node_softnet_flow_limit_count_total',
  'node_softnet_backlog_len',
]);
const NEWER_INFO_LABEL = 'adminstate';

// Some gauges move on their own (sockets opening, socket memory pages, conntrack entries):
// node_exporter read them between sockscope's two reads, but a gauge need not move
// monotonically, so these get a little slack. Every other value (interface properties,
// counters) must lie exactly between the two reads.
const moving = (name: string) =>
  name.startsWith('node_sockstat_') || name === 'node_netstat_Tcp_CurrEstab' || name === 'node_nf_conntrack_entries' || name === 'node_softnet_backlog_len';

type Series = Map<string, number>;
const key = (labels: Readonly<Record<string, string>>, drop?: string) =>
  Object.keys(labels)
    .filter((k) => k !== drop)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');

function seriesOf(f: MetricFamily | undefined, drop?: string): Series {
  return new Map((f?.samples ?? []).map((s) => [key(s.labels, drop), s.value]));
}

describe('host families against Debian prometheus-node-exporter' + skipReason, () => {
  let exporter: RunningExporter | undefined;
  const config: HostCollectorConfig = {};

  beforeAll(async () => {
    if (available) exporter = await startNodeExporter();
  }, 15_000);
  afterAll(async () => {
    await exporter?.stop();
  });

  /** sockscope read, node_exporter scrape, sockscope read: node_exporter's values lie between. */
  async function round(): Promise<{ ne: Map<string, ExposedFamily>; before: Map<string, MetricFamily>; after: Map<string, MetricFamily> }> {
    const collector = await linuxProcfsHostCollector.create(testContext(config));
    try {
      const read = async () => {
        const r = await collector.collect(new AbortController().signal);
        expect(r.warnings ?? []).toEqual([]);
        return new Map(renderHostFamilies(r.host ?? {}).map((f) => [f.name, f]));
      };
      const before = await read();
      const text = await (exporter as RunningExporter).scrape();
      const after = await read();
      const ne = parseExposition(text);
      for (const name of [...ne.keys()]) if (!name.startsWith('node_') || name.startsWith('node_scrape_') || name === 'node_exporter_build_info') ne.delete(name);
      return { ne, before, after };
    } finally {
      await collector.close();
    }
  }

  it.skipIf(!available)('publishes every family node_exporter does, with the same names, types, HELP and labels', async () => {
    const { ne, before, after } = await round();
    const ours = new Set([...before.keys(), ...after.keys()]);
    const missing = [...ne.keys()].filter((n) => !ours.has(n)).sort();
    const extra = [...ours].filter((n) => !ne.has(n)).sort();
    expect(missing).toEqual([]);
    expect(extra.filter((n) => !NEWER_FAMILIES.has(n))).toEqual([]);
    expect(ne.size).toBeGreaterThan(100);

    for (const [name, theirs] of ne) {
      const mine = (before.get(name) ?? after.get(name)) as MetricFamily;
      expect({ name, type: mine.type, help: mine.help }).toEqual({ name, type: theirs.type, help: theirs.help });
      const neHasAdmin = theirs.samples.some((s) => NEWER_INFO_LABEL in s.labels);
      const drop = name === 'node_network_info' && !neHasAdmin ? NEWER_INFO_LABEL : undefined;
      const b = seriesOf(before.get(name), drop);
      const a = seriesOf(after.get(name), drop);
      const theirKeys = new Set(theirs.samples.map((s) => key(s.labels)));
      // Interfaces may come and go between the reads (other tests create veths): every series
      // node_exporter has must be in one of ours, every series in both of ours must be in theirs.
      expect({ name, unknown: [...theirKeys].filter((k) => !b.has(k) && !a.has(k)) }).toEqual({ name, unknown: [] });
      expect({ name, lacking: [...b.keys()].filter((k) => a.has(k) && !theirKeys.has(k)) }).toEqual({ name, lacking: [] });
    }
  });

  it.skipIf(!available)('agrees on every value within the change between two sockscope reads', async () => {
    let mismatches: string[] = [];
    // Other processes share this kernel; a gauge can jump and come back inside one window.
    // Three windows are allowed; a real disagreement fails all three.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { ne, before, after } = await round();
      mismatches = [];
      let compared = 0;
      for (const [name, theirs] of ne) {
        const b = seriesOf(before.get(name), NEWER_INFO_LABEL);
        const a = seriesOf(after.get(name), NEWER_INFO_LABEL);
        for (const s of theirs.samples) {
          const k = key(s.labels, NEWER_INFO_LABEL);
          const v0 = b.get(k);
          const v1 = a.get(k);
          if (v0 === undefined || v1 === undefined) continue; // a series that came or went mid-window
          const lo = Math.min(v0, v1);
          const hi = Math.max(v0, v1);
          const unit = name.endsWith('_mem_bytes') ? 4096 : 1;
          const slack = moving(name) ? Math.max(8 * unit, 0.1 * Math.max(Math.abs(lo), Math.abs(hi))) : 0;
          compared++;
          if (s.value < lo - slack || s.value > hi + slack) mismatches.push(`${name}{${k}} node_exporter ${s.value}, sockscope ${v0} → ${v1}`);
        }
      }
      expect(compared).toBeGreaterThan(150);
      if (mismatches.length === 0) break;
    }
    expect(mismatches).toEqual([]);
  });
});
