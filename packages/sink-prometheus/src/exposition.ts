import type { Labels, MetricFamily } from '@sockscope/core';

/** Content type of the Prometheus text exposition format this serializer writes. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Serializes metric families to the Prometheus text exposition format (0.0.4). Pure: families
 * in, string out. Families sharing a name are merged (the first one's help and type win; a
 * later one with another type is skipped, since the format cannot hold both).
 */
export function serializeFamilies(families: readonly MetricFamily[]): string {
  const byName = new Map<string, MetricFamily[]>();
  for (const f of families) {
    const list = byName.get(f.name);
    if (!list) byName.set(f.name, [f]);
    else if (list[0]?.type === f.type) list.push(f);
  }
  const out: string[] = [];
  for (const [name, list] of byName) {
    const first = list[0] as MetricFamily;
    const parts: string[] = [];
    for (const f of list) writeSeries(f, parts);
    if (parts.length === 0) continue;
    out.push(`# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`);
    out.push(parts.join(''));
  }
  return out.join('');
}

function writeSeries(f: MetricFamily, parts: string[]): void {
  if (f.type === 'histogram') {
    for (const h of f.histograms ?? []) {
      const base = labelPairs(h.labels);
      const sep = base ? ',' : '';
      for (let i = 0; i < h.bounds.length; i++) {
        parts.push(`${f.name}_bucket{${base}${sep}le="${formatValue(h.bounds[i] as number)}"} ${formatValue(h.counts[i] as number)}\n`);
      }
      parts.push(`${f.name}_bucket{${base}${sep}le="+Inf"} ${formatValue(h.count)}\n`);
      parts.push(`${f.name}_sum${base ? `{${base}}` : ''} ${formatValue(h.sum)}\n`);
      parts.push(`${f.name}_count${base ? `{${base}}` : ''} ${formatValue(h.count)}\n`);
    }
    return;
  }
  for (const s of f.samples ?? []) {
    const l = labelPairs(s.labels);
    parts.push(l ? `${f.name}{${l}} ${formatValue(s.value)}\n` : `${f.name} ${formatValue(s.value)}\n`);
  }
}

// Flow series keep one labels object for life and it appears in every per-flow family of every
// scrape: its text is built once. Weak, so it goes with the series.
const labelText = new WeakMap<Labels, string>();

function labelPairs(labels: Labels): string {
  let out = labelText.get(labels);
  if (out === undefined) {
    out = buildLabelPairs(labels);
    labelText.set(labels, out);
  }
  return out;
}

function buildLabelPairs(labels: Labels): string {
  let out = '';
  for (const k in labels) {
    const v = labels[k] as string;
    out += `${out ? ',' : ''}${k}="${escapeLabel(v)}"`;
  }
  return out;
}

/** Formats a sample value the way Prometheus parses it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const LABEL_ESCAPES = /[\\\n"]/;

function escapeLabel(v: string): string {
  if (!LABEL_ESCAPES.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
