import { recycleChunk } from './exposition.js';

/**
 * One exposition serialized once for every scrape that reads it. Scrapes that arrive together
 * share one collection (core's pipeline); without this, each of them serialized that collection
 * again, and 200 concurrent scrapes did 200 times the work. Readers that join before the first
 * chunk was let go read the same chunks; the source is advanced only when a reader needs a chunk
 * nobody produced yet, so with one reader it is the plain streaming writer (nothing kept), and a
 * chunk is dropped once every reader has passed it.
 */
export class SharedExposition {
  private readonly chunks: Buffer[] = [];
  /** Chunks handed to a writer whose write has not completed yet, with how many such writes. */
  private readonly writing = new Map<Buffer, number>();
  /** Chunks no reader will take again but still being written: recycled when the last write completes. */
  private readonly passed = new Set<Buffer>();
  /** Index (in the whole exposition) of `chunks[0]`. */
  private base = 0;
  private done = false;
  private readonly readers = new Set<Reader>();
  private source: Iterator<Buffer, unknown, undefined> | undefined;
  /** Settles when the source is there (the families to write may take a moment, e.g. prom-client's). */
  readonly ready: Promise<void>;

  constructor(
    source: Promise<Iterator<Buffer, unknown, undefined>>,
    /** Called once the last reader left: the owner forgets this exposition. */
    private readonly onIdle: () => void,
  ) {
    this.ready = source.then((s) => {
      this.source = s;
    });
    // every reader awaits ready and hears of a failure; this keeps it from being unhandled meanwhile
    this.ready.catch(() => undefined);
  }

  /** A new reader can still start from the first chunk. */
  joinable(): boolean {
    return this.base === 0;
  }

  /** Starts reading from the first chunk (only while {@link joinable}); read once {@link ready} settled. */
  reader(): Reader {
    const r = new Reader(this);
    this.readers.add(r);
    return r;
  }

  /** The chunk at `pos`, producing it when nobody did yet; null past the end. */
  chunkAt(pos: number): Buffer | null {
    while (pos >= this.base + this.chunks.length) {
      if (this.done) return null;
      if (!this.source) throw new Error('SharedExposition read before it was ready');
      const next = this.source.next();
      if (next.done) {
        this.done = true;
        return null;
      }
      this.chunks.push(next.value);
    }
    return this.chunks[pos - this.base] as Buffer;
  }

  /** Lets go of the chunks every reader has passed. */
  trim(): void {
    let min = Infinity;
    for (const r of this.readers) min = Math.min(min, r.pos);
    if (min === Infinity) return;
    const drop = Math.min(min - this.base, this.chunks.length);
    if (drop > 0) {
      for (const c of this.chunks.splice(0, drop)) this.letGo(c);
      this.base += drop;
    }
  }

  /** A reader took `chunk` to write it: it is not recycled before {@link written}. */
  taken(chunk: Buffer): void {
    this.writing.set(chunk, (this.writing.get(chunk) ?? 0) + 1);
  }

  /** A write of `chunk` completed (or failed): nothing of that write reads it any more. */
  written(chunk: Buffer): void {
    const n = this.writing.get(chunk);
    if (n === undefined) return;
    if (n > 1) {
      this.writing.set(chunk, n - 1);
      return;
    }
    this.writing.delete(chunk);
    if (this.passed.delete(chunk)) recycleChunk(chunk);
  }

  /** No reader takes `chunk` again: it goes back to the pool now, or when its last write completes. */
  private letGo(chunk: Buffer): void {
    if (this.writing.has(chunk)) this.passed.add(chunk);
    else recycleChunk(chunk);
  }

  /** A reader is done (or its client went away). */
  leave(r: Reader): void {
    if (!this.readers.delete(r)) return;
    if (this.readers.size === 0) {
      for (const c of this.chunks) this.letGo(c);
      this.chunks.length = 0;
      this.onIdle();
    } else this.trim();
  }
}

/** One scrape's position in a {@link SharedExposition}. */
export class Reader {
  pos = 0;

  constructor(private readonly shared: SharedExposition) {}

  /**
   * The next chunk, null at the end. Its memory is written again for a later chunk once every
   * reader passed it: a writer that hands it to a stream says when that write completed
   * ({@link written}, from the write's callback), and until then it is left alone.
   */
  next(): Buffer | null {
    const chunk = this.shared.chunkAt(this.pos);
    if (chunk === null) return null;
    this.shared.taken(chunk);
    this.pos++;
    // every 16 chunks (1 MiB), let go of what all readers passed
    if ((this.pos & 15) === 0) this.shared.trim();
    return chunk;
  }

  /** A write of a chunk {@link next} gave completed (its callback ran, with or without an error). */
  written(chunk: Buffer): void {
    this.shared.written(chunk);
  }

  /** Done reading. */
  close(): void {
    this.shared.leave(this);
  }
}

/**
 * A budget of synchronous work per turn of the event loop, shared by every scrape being written.
 * One writer holds the turn at a time and gives it up when it waits for its client, is done, or
 * `due()` says the turn's `sliceMs` are used; the next writer in line (first come, first served)
 * gets it in the same turn while budget is left, otherwise in the next turn of the loop, after its
 * I/O. So however many scrapes are written at once, one turn of the loop holds about `sliceMs` of
 * their work, and `/health` waits for no more than that. (A time slice of each scrape's own let
 * 200 concurrent scrapes take 200 slices per turn; one step of each still took 50 ms.)
 */
export class SharedTurns {
  private start = performance.now();
  private held = false;
  private scheduled = false;
  private readonly queue: (() => void)[] = [];

  constructor(readonly sliceMs: number) {}

  /** True when this turn's budget is used up. */
  due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }

  /** Resolves when the caller holds the turn; it must {@link release} it before it waits on anything else. */
  acquire(): Promise<void> {
    if (!this.held && this.queue.length === 0 && !this.due()) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.queue.push(resolve);
      this.wake();
    });
  }

  /** Gives the turn up: to the next writer in line now, or in the next turn of the loop when the budget is used. */
  release(): void {
    this.held = false;
    this.wake();
  }

  private wake(): void {
    if (this.held || this.queue.length === 0) return;
    if (!this.due()) {
      this.held = true;
      (this.queue.shift() as () => void)();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start = performance.now();
      this.wake();
    });
  }
}
