import type { HistogramSample, Labels, MetricFamily } from '@sockscope/core';

/** Content type of the Prometheus text exposition format this serializer writes. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Bytes per chunk of {@link expositionChunks}. */
export const CHUNK_BYTES = 64 * 1024;

/**
 * Serializes metric families to the Prometheus text exposition format (0.0.4). Pure: families
 * in, string out. Families sharing a name are merged (the first one's help and type win; a
 * later one with another type is skipped, since the format cannot hold both).
 */
export function serializeFamilies(families: readonly MetricFamily[]): string {
  return Buffer.concat(Array.from(expositionChunks(families))).toString('utf8');
}

/**
 * The same text as {@link serializeFamilies}, as UTF-8 in chunks of at most `chunkBytes` (a
 * single longer line gets a chunk of its own). Lines are written straight into the chunk, the
 * label text of a series as bytes kept from one scrape to the next: a scrape of hundreds of
 * thousands of series builds no string per line, and a writer can send each chunk and let the
 * event loop run between them.
 */
export function* expositionChunks(families: readonly MetricFamily[], chunkBytes = CHUNK_BYTES): Generator<Buffer, void, undefined> {
  const byName = new Map<string, MetricFamily[]>();
  for (const f of families) {
    const list = byName.get(f.name);
    if (!list) byName.set(f.name, [f]);
    else if (list[0]?.type === f.type) list.push(f);
  }
  const w = new ChunkWriter(chunkBytes);
  for (const [name, list] of byName) {
    const first = list[0] as MetricFamily;
    // the header goes out with the family's first line: a family with no series is left out
    let header: Buffer | undefined = Buffer.from(`# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`, 'utf8');
    const nameBytes = Buffer.from(name, 'utf8');
    for (const f of list) {
      if (f.type === 'histogram') {
        for (const h of f.histograms ?? []) {
          if (header) yield* w.bytes(header);
          header = undefined;
          yield* w.bytes(Buffer.from(histogramText(name, h), 'utf8'));
        }
        continue;
      }
      for (const s of f.samples ?? []) {
        if (header) yield* w.bytes(header);
        header = undefined;
        const labels = labelBytes(s.labels);
        const value = formatValue(s.value);
        // name, "{", labels, "} ", value, "\n": the value is ASCII, one byte per character
        const need = nameBytes.length + labels.length + value.length + 4;
        if (w.room() < need) {
          const full = w.flush();
          if (full) yield full;
          if (w.room() < need) w.grow(need);
        }
        w.line(nameBytes, labels, value);
      }
    }
  }
  const last = w.flush();
  if (last) yield last;
}

/** Fills fixed-size Buffers; a flushed chunk is handed out and never written again. */
class ChunkWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  room(): number {
    return this.buf.length - this.pos;
  }

  /** Hands out what was written and starts a new chunk; undefined when nothing was. */
  flush(): Buffer | undefined {
    if (this.pos === 0) return undefined;
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return out;
  }

  /** Makes the (empty) current chunk at least `n` bytes long, for a line longer than a chunk. */
  grow(n: number): void {
    this.buf = Buffer.allocUnsafe(n);
    this.pos = 0;
  }

  /** Writes a whole piece, flushing first when it does not fit. */
  *bytes(b: Buffer): Generator<Buffer, void, undefined> {
    if (this.room() < b.length) {
      const full = this.flush();
      if (full) yield full;
      if (this.room() < b.length) this.grow(b.length);
    }
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** `name{labels} value\n`, or `name value\n` without labels; the caller made room. */
  line(name: Buffer, labels: Buffer, value: string): void {
    const buf = this.buf;
    let p = this.pos;
    buf.set(name, p);
    p += name.length;
    if (labels.length > 0) {
      buf[p++] = 0x7b; // {
      buf.set(labels, p);
      p += labels.length;
      buf[p++] = 0x7d; // }
    }
    buf[p++] = 0x20;
    for (let i = 0; i < value.length; i++) buf[p++] = value.charCodeAt(i);
    buf[p++] = 0x0a;
    this.pos = p;
  }
}

function histogramText(name: string, h: HistogramSample): string {
  const base = labelText(h.labels);
  const sep = base ? ',' : '';
  let out = '';
  for (let i = 0; i < h.bounds.length; i++) {
    out += `${name}_bucket{${base}${sep}le="${formatValue(h.bounds[i] as number)}"} ${formatValue(h.counts[i] as number)}\n`;
  }
  out += `${name}_bucket{${base}${sep}le="+Inf"} ${formatValue(h.count)}\n`;
  out += `${name}_sum${base ? `{${base}}` : ''} ${formatValue(h.sum)}\n`;
  out += `${name}_count${base ? `{${base}}` : ''} ${formatValue(h.count)}\n`;
  return out;
}

// Flow series keep one labels object for life and it appears in every per-flow family of every
// scrape: its text is encoded once. Weak, so it goes with the series.
const labelCache = new WeakMap<Labels, Buffer>();
const NO_LABELS = Buffer.alloc(0);

function labelBytes(labels: Labels): Buffer {
  let out = labelCache.get(labels);
  if (out === undefined) {
    const text = labelText(labels);
    out = text ? Buffer.from(text, 'utf8') : NO_LABELS;
    labelCache.set(labels, out);
  }
  return out;
}

function labelText(labels: Labels): string {
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
