import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../examples/prometheus/grafana/sockscope-network.json', import.meta.url)), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};

// Static checks of the shipped dashboard; prometheus.test.ts runs its queries against real data.
describe('grafana/sockscope-network.json', () => {
  it('takes its data source from a variable, in every panel and every query', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const fixed = dashboard.panels.filter((p) => p.type !== 'row').flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)])
      .filter((d) => d?.uid !== '${datasource}');
    expect(fixed).toEqual([]);
  });

  it('has unique panel ids and refIds, and panels that do not overlap on the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      const refs = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    const overlaps: string[] = [];
    dashboard.panels.forEach((a, i) => dashboard.panels.slice(i + 1).forEach((b) => {
      const g = a.gridPos;
      const h = b.gridPos;
      if (g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h) overlaps.push(`${a.title} / ${b.title}`);
    }));
    expect(overlaps).toEqual([]);
  });

  it('has the panels the issue asks for', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const t of ['Bandwidth per interface', 'Drops and errors', 'TCP retransmissions', 'TCP sockets by state', 'Conntrack table fill',
      'Top flows by RTT', 'RTT heatmap', 'Accept queue fill per listening port', 'Collector health']) expect(titles).toContain(t);
    const drops = dashboard.panels.find((p) => p.title === 'Drops and errors') as unknown as { fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] }; custom: { thresholdsStyle: { mode: string } } } } };
    expect(drops.fieldConfig.defaults.custom.thresholdsStyle.mode).toBe('line');
    expect(drops.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 1]);
  });
});
