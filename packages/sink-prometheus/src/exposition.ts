import { sampleColumns, sampleCount, type Labels, type MetricFamily, type Sample } from '@sockscope/core';

/** Content type of the Prometheus text exposition format this serializer writes. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Content type of OpenMetrics 1.0 text, the default version {@link negotiateFormat} answers with. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Bytes per chunk of {@link expositionChunks}. */
export const CHUNK_BYTES = 64 * 1024;

/** The two text formats the serializer writes: Prometheus text 0.0.4 and OpenMetrics 1.0. */
export type ExpositionFormat = 'text' | 'openmetrics';

/**
 * Serializes metric families to the Prometheus text exposition format (0.0.4), or to OpenMetrics
 * text. Pure: families in, string out. Families sharing a name are merged (the first one's help
 * and type win; a later one with another type is skipped, since the format cannot hold both).
 */
export function serializeFamilies(families: readonly MetricFamily[], format: ExpositionFormat = 'text'): string {
  return Buffer.concat(Array.from(expositionChunks(families, CHUNK_BYTES, format))).toString('utf8');
}

/** One family as written: the name of its HELP and TYPE lines, its type word, its sample name, its parts. */
interface Group {
  name: string;
  type: string;
  sample: string;
  list: MetricFamily[];
}

/**
 * The families to write, merged by name. In the text format a family is written under its name.
 * In OpenMetrics a counter whose name ends in `_total` is the family without the suffix, with
 * samples that keep it; a counter without the suffix (prometheus_ss_exporter's
 * `tcp_data_segs_in`) is written `unknown` under its own name rather than renamed, so a series is
 * the same series whichever format Prometheus negotiates; `untyped` is `unknown`. A family whose
 * name or sample names another family already uses is skipped: OpenMetrics allows one family per
 * name, and a sample belongs to one family.
 */
function groupFamilies(families: readonly MetricFamily[], format: ExpositionFormat): Group[] {
  const groups = new Map<string, Group>();
  const taken = new Set<string>();
  for (const f of families) {
    let name = f.name;
    let type: string = f.type;
    const sample = f.name;
    if (format === 'openmetrics') {
      if (f.type === 'counter' && f.name.endsWith('_total') && f.name.length > '_total'.length) name = f.name.slice(0, -'_total'.length);
      else if (f.type === 'counter' || f.type === 'untyped') type = 'unknown';
    }
    const group = groups.get(name);
    if (group) {
      if (group.type === type && group.sample === sample) group.list.push(f);
      continue;
    }
    if (format === 'openmetrics') {
      const names = type === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : name === sample ? [name] : [name, sample];
      if (names.some((n) => taken.has(n))) continue;
      for (const n of names) taken.add(n);
    }
    groups.set(name, { name, type, sample, list: [f] });
  }
  return [...groups.values()];
}

/**
 * The same text as {@link serializeFamilies}, as UTF-8 in chunks of at most `chunkBytes` (a
 * single longer line gets a chunk of its own). Lines are written straight into the chunk, the
 * label text of a series as bytes kept from one scrape to the next: a scrape of hundreds of
 * thousands of series builds no string per line, and a writer can send each chunk and let the
 * event loop run between them. OpenMetrics text ends with `# EOF`.
 */
export function* expositionChunks(
  families: readonly MetricFamily[],
  chunkBytes = CHUNK_BYTES,
  format: ExpositionFormat = 'text',
): Generator<Buffer, void, undefined> {
  const om = format === 'openmetrics';
  const w = new ChunkWriter(chunkBytes);
  rotateLabelCache();
  const order = takeOrder();
  try {
    for (const { name, type, sample, list } of groupFamilies(families, format)) {
      const first = list[0] as MetricFamily;
      const cached = familyBytes(name, first.help, type, sample, om);
      const nameBytes = cached.sampleBytes;
      // a family with no series is left out: its header goes out only when some part has a line
      if (list.some(hasLines)) {
        const full = w.bytes(cached.header);
        if (full) yield full;
      }
      for (const f of list) {
        order.restart();
        if (f.type === 'histogram') {
          const names = cached.histogram as HistogramNames; // made for every family typed histogram, and a group holds one type
          for (const h of f.histograms ?? []) {
            const base = order.bytes(h.labels);
            const les = boundLabels(h.bounds);
            // the buckets (the +Inf one's count the histogram's), then _sum and _count
            for (let i = 0; i < les.length + 2; i++) {
              const line = i < les.length ? names.bucket : i === les.length ? names.sum : names.count;
              const le = i < les.length ? (les[i] as Buffer) : NO_LABELS;
              const value = formatValue(i < les.length - 1 ? (h.counts[i] as number) : i === les.length ? h.sum : h.count);
              const full = w.reserve(line.length + base.length + le.length + value.length + 5);
              if (full) yield full;
              w.line(line, base, value, le);
            }
          }
          continue;
        }
        // the flow fold's per-flow families come as columns: read in place, no sample objects made
        // (reading f.samples of a columnar family would make them)
        const columns = sampleColumns(f);
        const list = columns === undefined ? (f.samples ?? []) : NO_SAMPLES;
        const n = columns === undefined ? list.length : columns.length;
        for (let i = 0; i < n; i++) {
          let sampleLabels: Labels;
          let v: number;
          if (columns !== undefined) {
            sampleLabels = columns.labels[i] as Labels;
            v = columns.values[i] as number;
          } else {
            const s = list[i] as Sample;
            sampleLabels = s.labels;
            v = s.value;
          }
          const labels = order.bytes(sampleLabels);
          const value = formatValue(v);
          // name, "{", labels, "} ", value, "\n": the value is ASCII, one byte per character
          const full = w.reserve(nameBytes.length + labels.length + value.length + 4);
          if (full) yield full;
          w.line(nameBytes, labels, value);
        }
      }
    }
  } finally {
    // also when the reader stops early (a scrape cut off): a generator's return() runs this
    giveOrder(order);
  }
  if (om) {
    const full = w.bytes(EOF);
    if (full) yield full;
  }
  const last = w.end();
  if (last) yield last;
}

const EOF = Buffer.from('# EOF\n', 'utf8');

/** Whether a family writes at least one line (what the loop above writes of it). */
function hasLines(f: MetricFamily): boolean {
  return (f.type === 'histogram' ? (f.histograms?.length ?? 0) : sampleCount(f)) > 0;
}

// A family's HELP/TYPE lines and its sample name as bytes, made once: every scrape writes the same
// few hundred families (each header was an escaped string and its encoding every time). Past
// CACHED_NAMES names (families of plugins' own naming could be many) the cache starts over.
const CACHED_NAMES = 4096;
interface CachedFamily {
  readonly help: string;
  readonly type: string;
  readonly sample: string;
  readonly header: Buffer;
  readonly sampleBytes: Buffer;
  /** A histogram family's `_bucket`, `_sum` and `_count` names. */
  readonly histogram?: HistogramNames;
}
/** By family name: [text format, OpenMetrics]. */
const cachedFamilies: [Map<string, CachedFamily>, Map<string, CachedFamily>] = [new Map(), new Map()];

function familyBytes(name: string, help: string, type: string, sample: string, om: boolean): CachedFamily {
  const known = cachedFamilies[om ? 1 : 0];
  let c = known.get(name);
  if (c !== undefined && c.help === help && c.type === type && c.sample === sample) return c;
  if (known.size >= CACHED_NAMES) known.clear();
  const header = Buffer.from(`# HELP ${name} ${escapeHelp(help, om)}\n# TYPE ${name} ${type}\n`, 'utf8');
  const histogram = type === 'histogram' ? { bucket: Buffer.from(`${name}_bucket`, 'utf8'), sum: Buffer.from(`${name}_sum`, 'utf8'), count: Buffer.from(`${name}_count`, 'utf8') } : undefined;
  known.set(name, (c = { help, type, sample, header, sampleBytes: Buffer.from(sample, 'utf8'), histogram }));
  return c;
}

/**
 * Chunks of {@link CHUNK_BYTES} given back once written ({@link recycleChunk}), for the next
 * chunk to be written into. A scrape of 30,000 connections with a series per flow writes 90 MB
 * of chunks; made afresh, each lives outside the JS heap until a GC finalizes its Buffer, and
 * tens of MB of written chunks waited for that at the peak. A writer that waits for its client
 * keeps a chunk or two in flight: the pool seldom holds more.
 */
const pool: ArrayBufferLike[] = [];
/** At most this many idle chunks are kept (1 MiB). */
const POOL_MAX = 16;
/** The chunks the writer made at the pool's size: the only ones {@link recycleChunk} takes back. */
const pooled = new WeakSet<ArrayBufferLike>();

function newChunk(size: number): Buffer {
  if (size !== CHUNK_BYTES) return Buffer.allocUnsafe(size);
  const reused = pool.pop();
  if (reused !== undefined) return Buffer.from(reused, 0, size);
  const buf = Buffer.allocUnsafeSlow(size);
  pooled.add(buf.buffer);
  return buf;
}

/**
 * Gives a chunk of {@link expositionChunks} back once nothing reads it any more (every writer's
 * write of it completed): a later chunk is written into its memory. Any other Buffer is ignored.
 */
export function recycleChunk(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (!pooled.has(ab) || pool.length >= POOL_MAX) return;
  // in the pool twice, one memory would be handed to two chunks at once (this runs in a write
  // callback: a second give-back is dropped, not thrown)
  if (pool.includes(ab)) return;
  pool.push(ab);
}

/** How many written chunks wait in the pool (for tests). */
export function pooledChunks(): number {
  return pool.length;
}

/** Fills fixed-size Buffers; a flushed chunk is handed out and never written again (unless given back: {@link recycleChunk}). */
class ChunkWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly size: number) {
    this.buf = newChunk(size);
  }

  room(): number {
    return this.buf.length - this.pos;
  }

  /** Hands out what was written and starts a new chunk; undefined when nothing was. */
  flush(): Buffer | undefined {
    if (this.pos === 0) return undefined;
    const out = this.buf.subarray(0, this.pos);
    this.buf = newChunk(this.size);
    this.pos = 0;
    return out;
  }

  /** The last chunk, undefined when nothing is left to hand out (the unused chunk goes back to the pool). */
  end(): Buffer | undefined {
    if (this.pos > 0) return this.buf.subarray(0, this.pos);
    recycleChunk(this.buf);
    return undefined;
  }

  /** Makes the (empty) current chunk at least `n` bytes long, for a line longer than a chunk. */
  grow(n: number): void {
    this.buf = Buffer.allocUnsafe(n);
    this.pos = 0;
  }

  /**
   * Writes a whole piece, flushing first when it does not fit: returns the chunk so flushed, for
   * the caller to hand out (a plain call, not a generator delegated to: one of those a family
   * header was most of what a small scrape allocated in the exposition).
   */
  bytes(b: Buffer): Buffer | undefined {
    const full = this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return full;
  }

  /**
   * Makes room for `n` bytes in the current chunk, flushing first when they do not fit (and
   * growing the new chunk for a piece longer than a chunk): returns the chunk so flushed, for the
   * caller to hand out.
   */
  reserve(n: number): Buffer | undefined {
    if (this.room() >= n) return undefined;
    const full = this.flush();
    if (this.room() < n) this.grow(n);
    return full;
  }

  /**
   * `name{labels} value\n`, or `name value\n` without labels; with `more` (a histogram's `le`)
   * `name{labels,more} value\n`. The caller made room.
   */
  line(name: Buffer, labels: Buffer, value: string, more: Buffer = NO_LABELS): void {
    const buf = this.buf;
    let p = this.pos;
    buf.set(name, p);
    p += name.length;
    if (labels.length > 0 || more.length > 0) {
      buf[p++] = 0x7b; // {
      buf.set(labels, p);
      p += labels.length;
      if (more.length > 0) {
        if (labels.length > 0) buf[p++] = 0x2c; // ,
        buf.set(more, p);
        p += more.length;
      }
      buf[p++] = 0x7d; // }
    }
    buf[p++] = 0x20;
    for (let i = 0; i < value.length; i++) buf[p++] = value.charCodeAt(i);
    buf[p++] = 0x0a;
    this.pos = p;
  }
}

/** A histogram family's sample names as bytes, made with its header. */
interface HistogramNames {
  readonly bucket: Buffer;
  readonly sum: Buffer;
  readonly count: Buffer;
}

// The `le` labels of a list of bounds as bytes, the +Inf one last: the bounds come from the config,
// one array shared by every histogram of a family. With a histogram per flow (connection durations
// under raw_endpoint) the text of each histogram was built as a string and encoded again every
// scrape: a quarter of what a soak's agent allocated.
const boundLabelsOf = new WeakMap<readonly number[], Buffer[]>();

function boundLabels(bounds: readonly number[]): Buffer[] {
  let les = boundLabelsOf.get(bounds);
  if (les === undefined) {
    les = [...bounds.map(formatValue), '+Inf'].map((b) => Buffer.from(`le="${b}"`, 'utf8'));
    boundLabelsOf.set(bounds, les);
  }
  return les;
}

// Flow series keep one labels object for life and it appears in every per-flow family of every
// scrape: its text is encoded once and kept while expositions use it, in one Map kept from one
// exposition to the next, each entry stamped with the last exposition that used it (an exposition
// starts a generation; what neither it nor the one before used goes). A WeakMap did the same, but
// its lookups cost ~5x a Map's, which at 780k samples a scrape was 20-30 % of the exposition; two
// Maps rotated (a new one each exposition) regrew a table of every series each scrape: at 60k
// series, 3-4 MB a scrape in V8's large-object space, freed only by a full GC.
interface CachedLabels {
  readonly bytes: Buffer;
  gen: number;
}
const labelCache = new Map<Labels, CachedLabels>();
let labelGen = 0;
const NO_LABELS = Buffer.alloc(0);
const NO_SAMPLES: readonly Sample[] = [];

/**
 * The label bytes of the samples of the last family written, by position: the per-flow families
 * list the same series in the same order (a family skips a series with no value now and then),
 * so a sample's labels are looked for at its position there first, a step or two on when the
 * previous family skipped some, and only then in the cache. Walking arrays in step stays in the
 * CPU's cache; a lookup in a Map of hundreds of thousands of label sets does not (at 200k series,
 * ~200 ns a sample, most of the exposition's time).
 */
class LabelOrder {
  /**
   * The lists, `length` of them this exposition's. An order is used again by a later exposition
   * ({@link takeOrder}): grown afresh every scrape, these lists of tens of thousands of entries
   * were chains of ever larger copies in V8's large-object space.
   */
  private readonly labels: Labels[] = [];
  private readonly bytesAt: Buffer[] = [];
  private length = 0;
  /** Position in the previous family's list matched last. */
  private from = 0;
  /** Position written in this family's list. */
  private at = 0;

  /** Starts an exposition: no family before. */
  begin(): void {
    this.length = 0;
    this.restart();
  }

  /** Starts the next family. */
  restart(): void {
    this.from = 0;
    this.at = 0;
  }

  bytes(labels: Labels): Buffer {
    const prev = this.labels;
    const n = this.length;
    const from = this.from;
    let out: Buffer | undefined;
    // the same position, or a step or two on: series the previous family skipped
    for (let i = from; i < from + 3 && i < n; i++) {
      if (prev[i] === labels) {
        out = this.bytesAt[i] as Buffer;
        this.from = i + 1;
        break;
      }
    }
    if (out === undefined) out = labelBytes(labels);
    // this family's list overwrites the previous one behind the read position (never ahead of it)
    const at = this.at++;
    if (at < this.from || at >= n) {
      prev[at] = labels;
      this.bytesAt[at] = out;
      if (at >= n) this.length = at + 1;
    }
    return out;
  }
}

/**
 * Orders of expositions done, for the next: at most two (one a format the scrapes commonly ask
 * for); expositions written at the same time each take their own.
 */
const orders: LabelOrder[] = [];

function takeOrder(): LabelOrder {
  const order = orders.pop() ?? new LabelOrder();
  order.begin();
  return order;
}

function giveOrder(order: LabelOrder): void {
  if (orders.length < 2) orders.push(order);
}

/** Starts a generation of the label cache: what no exposition used since the start before this one is let go. */
function rotateLabelCache(): void {
  // forEach, not for-of: no [key, value] pair made per entry (60k series: 60k arrays a scrape)
  labelCache.forEach(dropStale);
  labelGen++;
}

function dropStale(c: CachedLabels, labels: Labels): void {
  if (c.gen < labelGen) labelCache.delete(labels);
}

function labelBytes(labels: Labels): Buffer {
  const c = labelCache.get(labels);
  if (c !== undefined) {
    c.gen = labelGen;
    return c.bytes;
  }
  const text = labelText(labels);
  const bytes = text ? Buffer.from(text, 'utf8') : NO_LABELS;
  labelCache.set(labels, { bytes, gen: labelGen });
  return bytes;
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

/** HELP text escaped: backslash and newline, and in OpenMetrics the double quote too. */
function escapeHelp(v: string, openMetrics: boolean): string {
  const out = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? out.replace(/"/g, '\\"') : out;
}
