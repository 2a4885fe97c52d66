import type { SourceReader } from '../catalog/source.js';
import type { SocketRecord } from '../types/socket.js';

/**
 * The last counter values of every live socket, one per counter family, in one Float64Array:
 * a typed array per socket would cost more in headers than its few numbers (60k sockets are
 * 60k of them). A slot is taken when a socket is first seen and given back when it is gone.
 * Counters are folded as deltas: what each socket's value grew since its slot last saw it.
 */
export class CounterSlots {
  private pool: Float64Array;
  private readonly free: number[] = [];
  private next = 0;
  /** Values per slot: one per counter family. */
  private readonly width: number;

  /**
   * @param readers the counter families' readers, in slot order
   * @param offset where a series' counter numbers start in its buffer (after its gauges, see
   *   {@link Series}): deltas at `offset + j`, how many sockets had counter j at `offset + stride + j`
   * @param stride counter slots of a series (these readers' first, then the fold's own lifecycle slots)
   */
  constructor(
    private readonly readers: readonly SourceReader[],
    private readonly offset: number,
    private readonly stride = readers.length,
  ) {
    this.width = readers.length;
    this.pool = new Float64Array(this.width * 1024).fill(NaN);
  }

  /** A slot, every value NaN (nothing seen yet). */
  take(): number {
    const slot = this.free.pop() ?? this.next++;
    const end = (slot + 1) * this.width;
    if (end > this.pool.length) {
      const grown = new Float64Array(Math.max(end, this.pool.length * 2)).fill(NaN);
      grown.set(this.pool);
      this.pool = grown;
    }
    this.pool.fill(NaN, slot * this.width, end);
    return slot;
  }

  /** Gives a slot back for reuse. */
  release(slot: number): void {
    this.free.push(slot);
  }

  /**
   * Adds what each counter of `s` grew since `slot` last saw it to a series' deltas in `buf`,
   * and remembers the new values. A first sighting counts the whole value; a value that went
   * down means a reused key (another socket): it starts over and counts whole too.
   */
  addDeltas(s: SocketRecord, slot: number, buf: Float64Array): void {
    const last = this.pool;
    const C = this.stride;
    const W = this.width;
    const base = this.offset;
    const readers = this.readers;
    for (let j = 0, at = slot * W; j < W; j++, at++) {
      const v = (readers[j] as SourceReader)(s);
      if (v === undefined) continue;
      const prev = last[at] as number;
      const d = prev !== prev || v < prev ? v : v - prev;
      last[at] = v;
      buf[base + j] = (buf[base + j] as number) + d;
      buf[base + C + j] = (buf[base + C + j] as number) + 1;
    }
  }
}
