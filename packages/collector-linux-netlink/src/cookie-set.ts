import { cookieKey } from '@sockscope/core';

/**
 * The socket cookies one collection has seen, for {@link visitOnce}. A collection adds every
 * socket (60k at 30k connections): a Set built afresh each time spent ~20 ms there growing and
 * rehashing. This is an open-addressed table of the cookies as numbers (core's
 * {@link cookieKey}: exact below 2^53, the kernel counts the sockets created since boot), reused
 * from one collection to the next: {@link clear} forgets in O(1) by starting a new generation,
 * and the table keeps its size. A cookie above 2^53, as text, goes to a plain Set beside it.
 */
export class CookieSet {
  private keys = new Float64Array(1024);
  private gens = new Uint32Array(1024);
  private mask = 1023;
  private shift = 22; // 32 - log2(size)
  private gen = 1;
  private count = 0;
  private huge: Set<string> | undefined;

  /** Forgets every cookie. */
  clear(): void {
    this.count = 0;
    this.huge = undefined;
    if (++this.gen === 0xffffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
  }

  /** Adds `c`; false when it was there already. */
  add(c: bigint): boolean {
    const k = cookieKey(c);
    if (typeof k === 'string') {
      this.huge ??= new Set();
      if (this.huge.has(k)) return false;
      this.huge.add(k);
      return true;
    }
    const i = this.slot(k);
    if (this.gens[i] === this.gen) return false;
    this.gens[i] = this.gen;
    this.keys[i] = k;
    if (++this.count * 2 > this.mask) this.grow();
    return true;
  }

  /**
   * Where `k` is in this generation, or the free slot it would take: Fibonacci hashing of its
   * low 32 bits (cookies are consecutive: they spread evenly), then the next slots in turn.
   */
  private slot(k: number): number {
    let i = Math.imul(k >>> 0, 0x9e3779b1) >>> this.shift;
    while (this.gens[i] === this.gen && this.keys[i] !== k) i = (i + 1) & this.mask;
    return i;
  }

  /** Doubles the table, keeping this generation's cookies. */
  private grow(): void {
    const { keys, gens, gen } = this;
    const size = keys.length * 2;
    this.keys = new Float64Array(size);
    this.gens = new Uint32Array(size);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    this.gen = 1;
    for (let j = 0; j < keys.length; j++) {
      if (gens[j] !== gen) continue;
      const k = keys[j] as number;
      const i = this.slot(k);
      this.gens[i] = 1;
      this.keys[i] = k;
    }
  }
}
