import type { HistogramSample, Labels, MetricFamily, Sample } from '@sockscope/core';

/** Content type of the Prometheus text exposition format this serializer writes. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Lines per chunk of {@link expositionChunks}: about 100 KB of text. */
export const LINES_PER_CHUNK = 1000;

/**
 * Serializes metric families to the Prometheus text exposition format (0.0.4). Pure: families
 * in, string out. Families sharing a name are merged (the first one's help and type win; a
 * later one with another type is skipped, since the format cannot hold both).
 */
export function serializeFamilies(families: readonly MetricFamily[]): string {
  return Array.from(expositionChunks(families)).join('');
}

/**
 * The same text as {@link serializeFamilies}, in chunks of about {@link LINES_PER_CHUNK} lines,
 * so that a writer can send each and let the event loop run between them instead of building
 * one string of the whole exposition (tens of MB when every flow has its series).
 */
export function* expositionChunks(families: readonly MetricFamily[], linesPerChunk = LINES_PER_CHUNK): Generator<string, void, undefined> {
  const byName = new Map<string, MetricFamily[]>();
  for (const f of families) {
    const list = byName.get(f.name);
    if (!list) byName.set(f.name, [f]);
    else if (list[0]?.type === f.type) list.push(f);
  }
  let parts: string[] = [];
  for (const [name, list] of byName) {
    const first = list[0] as MetricFamily;
    // the header goes out only with the family's first line: a family with no series is left out
    const header = `# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`;
    let headerAt = parts.length;
    parts.push(header);
    for (const f of list) {
      if (f.type === 'histogram') {
        for (const h of f.histograms ?? []) writeHistogram(f.name, h, parts);
        continue;
      }
      const samples = f.samples ?? [];
      for (let i = 0; i < samples.length; i += linesPerChunk) {
        writeSamples(f.name, samples, i, Math.min(samples.length, i + linesPerChunk), parts);
        if (parts.length >= linesPerChunk) {
          yield parts.join('');
          parts = [];
          headerAt = -1;
        }
      }
    }
    if (headerAt >= 0 && parts.length === headerAt + 1) parts.length = headerAt;
  }
  if (parts.length > 0) yield parts.join('');
}

function writeSamples(name: string, samples: readonly Sample[], from: number, to: number, parts: string[]): void {
  for (let i = from; i < to; i++) {
    const s = samples[i] as Sample;
    const l = labelPairs(s.labels);
    parts.push(l ? `${name}{${l}} ${formatValue(s.value)}\n` : `${name} ${formatValue(s.value)}\n`);
  }
}

function writeHistogram(name: string, h: HistogramSample, parts: string[]): void {
  const base = labelPairs(h.labels);
  const sep = base ? ',' : '';
  for (let i = 0; i < h.bounds.length; i++) {
    parts.push(`${name}_bucket{${base}${sep}le="${formatValue(h.bounds[i] as number)}"} ${formatValue(h.counts[i] as number)}\n`);
  }
  parts.push(`${name}_bucket{${base}${sep}le="+Inf"} ${formatValue(h.count)}\n`);
  parts.push(`${name}_sum${base ? `{${base}}` : ''} ${formatValue(h.sum)}\n`);
  parts.push(`${name}_count${base ? `{${base}}` : ''} ${formatValue(h.count)}\n`);
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
