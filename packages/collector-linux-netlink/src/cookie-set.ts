const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The socket cookies one collection has seen, for {@link visitOnce}. A collection adds every
 * socket (60k at 30k connections): a Set built afresh each time spent ~20 ms there growing and
 * rehashing. This is an open-addressed table of the cookies as numbers (exact below 2^53: the
 * kernel counts the sockets created since boot), reused from one collection to the next:
 * {@link clear} forgets in O(1) by starting a new generation, and the table keeps its size.
 * Cookies above 2^53 go to a plain Set beside it.
 */
export class CookieSet {
  private keys = new Float64Array(1024);
  private gens = new Uint32Array(1024);
  private mask = 1023;
  private shift = 22; // 32 - log2(size)
  private gen = 1;
  private count = 0;
  private huge: Set<bigint> | undefined;

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
    if (c > MAX_EXACT) {
      this.huge ??= new Set();
      if (this.huge.has(c)) return false;
      this.huge.add(c);
      return true;
    }
    const k = Number(c);
    const { keys, gens, gen, mask } = this;
    // Fibonacci hashing of the low 32 bits (cookies are consecutive: they spread evenly)
    let i = Math.imul(k >>> 0, 0x9e3779b1) >>> this.shift;
    for (;;) {
      if (gens[i] !== gen) break;
      if (keys[i] === k) return false;
      i = (i + 1) & mask;
    }
    gens[i] = gen;
    keys[i] = k;
    if (++this.count * 2 > mask) this.grow();
    return true;
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
    this.count = 0;
    for (let j = 0; j < keys.length; j++) {
      if (gens[j] !== gen) continue;
      const k = keys[j] as number;
      let i = Math.imul(k >>> 0, 0x9e3779b1) >>> this.shift;
      while (this.gens[i] === 1) i = (i + 1) & this.mask;
      this.gens[i] = 1;
      this.keys[i] = k;
      this.count++;
    }
  }
}
