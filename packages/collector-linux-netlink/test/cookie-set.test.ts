import { describe, expect, it } from 'vitest';
import { CookieSet } from '../src/cookie-set.js';

describe('CookieSet', () => {
  it('says whether a cookie is new, like a Set, across growth, both sides of 2^53 and up to 2^64-1', () => {
    const set = new CookieSet();
    const reference = new Set<bigint>();
    // consecutive cookies (what the kernel hands out), a few far ones, repeats of all of them
    let x = 0x2545f4914f6cdd1dn;
    const cookies: bigint[] = [];
    for (let i = 0; i < 5000; i++) cookies.push(BigInt(7_000_000 + i));
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
      cookies.push(i % 2 === 0 ? x >> 11n : x);
    }
    cookies.push(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 1n, 0n);
    for (const c of [...cookies, ...cookies.slice().reverse()]) {
      const isNew = !reference.has(c);
      reference.add(c);
      expect(set.add(c)).toBe(isNew);
    }
  });

  it('forgets everything on clear and keeps working collection after collection', () => {
    const set = new CookieSet();
    for (let round = 0; round < 5; round++) {
      set.clear();
      // each round sees the same sockets, some new ones, and one twice
      for (let i = 0; i < 3000; i++) expect(set.add(BigInt(1000 + round * 500 + i))).toBe(true);
      expect(set.add(BigInt(1000 + round * 500))).toBe(false);
      expect(set.add(2n ** 60n)).toBe(true);
      expect(set.add(2n ** 60n)).toBe(false);
    }
  });
});
