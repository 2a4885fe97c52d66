import { describe, expect, it } from 'vitest';
import type { MetricFamily } from '@sockscope/core';
import { CHUNK_BYTES, expositionChunks, pooledChunks, recycleChunk } from './exposition.js';
import { SharedExposition } from './shared-exposition.js';

const family = (n: number, value: number): MetricFamily => ({
  name: 'x', help: 'x', type: 'gauge', samples: Array.from({ length: n }, (_, i) => ({ labels: { flow: `flow-${i}` }, value })),
});

/** An exposition of `n` series (about 20 bytes each) shared by the readers made before `ready`. */
async function shared(n: number, value: number): Promise<SharedExposition> {
  const s = new SharedExposition(Promise.resolve(expositionChunks([family(n, value)], CHUNK_BYTES)), () => undefined);
  await s.ready;
  return s;
}

describe('SharedExposition chunk reuse', () => {
  it('gives a chunk back only when every reader passed it and every write of it completed', async () => {
    // drain the pool so counts start at zero: a chunk written into is not one a reader holds
    const drain = await shared(40 * 3300, 1);
    const r0 = drain.reader();
    while (r0.next() !== null);
    r0.close();
    const taken: Buffer[] = [];
    const s = await shared(40 * 3300, 2);
    const a = s.reader();
    const b = s.reader();
    const base = pooledChunks();
    // a takes 8 chunks and completes its writes at once: b has not passed them, nothing goes back
    for (let i = 0; i < 8; i++) {
      const c = a.next() as Buffer;
      taken.push(c);
      a.written(c);
    }
    expect(pooledChunks()).toBe(base);
    // b passes them, its writes still in flight: still nothing
    const inFlight: Buffer[] = [];
    for (let i = 0; i < 8; i++) inFlight.push(b.next() as Buffer);
    s.trim();
    expect(pooledChunks()).toBe(base);
    expect(inFlight).toEqual(taken);
    // b's writes complete: those 8 chunks go back
    for (const c of inFlight) b.written(c);
    expect(pooledChunks()).toBe(base + 8);
    // the text both read is the exposition, unchanged by what went back
    expect(Buffer.concat(taken).toString('utf8').startsWith('# HELP x x\n# TYPE x gauge\nx{flow="flow-0"} 2\n')).toBe(true);
    a.close();
    b.close();
    // two expositions of 132,000 series: 2.8 s in CI on a slow host, over half vitest's 5 s default
  }, 30_000);

  it('leaves alone a chunk whose write never completed, and a Buffer it did not make', async () => {
    const s = await shared(40 * 3300, 3);
    const r = s.reader();
    const held = r.next() as Buffer;
    const copy = Buffer.from(held);
    r.close();
    const before = pooledChunks();
    // later expositions take chunks from the pool: none of them is the one still being written
    const t = await shared(40 * 3300, 4);
    const r2 = t.reader();
    for (let c = r2.next(); c !== null; c = r2.next()) {
      expect(c.buffer).not.toBe(held.buffer);
      r2.written(c);
    }
    r2.close();
    expect(held.equals(copy)).toBe(true);
    const other = Buffer.alloc(CHUNK_BYTES);
    const u = new SharedExposition(Promise.resolve([other][Symbol.iterator]()), () => undefined);
    await u.ready;
    const r3 = u.reader();
    const got = r3.next() as Buffer;
    r3.written(got);
    r3.close();
    expect(pooledChunks()).toBeLessThanOrEqual(Math.max(before, 16));
    expect(got).toBe(other);
  });
});

describe('recycleChunk', () => {
  it('keeps a chunk given back twice in the pool once: two later chunks never share its memory', async () => {
    const s = new SharedExposition(Promise.resolve(expositionChunks([family(40 * 3300, 5)], CHUNK_BYTES)), () => undefined);
    await s.ready;
    const r = s.reader();
    const c = r.next() as Buffer;
    r.written(c);
    r.close();
    recycleChunk(c);
    recycleChunk(c);
    const t = new SharedExposition(Promise.resolve(expositionChunks([family(40 * 3300, 6)], CHUNK_BYTES)), () => undefined);
    await t.ready;
    const r2 = t.reader();
    const seen = new Set<ArrayBufferLike>();
    for (let x = r2.next(); x !== null; x = r2.next()) {
      expect(seen.has(x.buffer)).toBe(false);
      seen.add(x.buffer);
    }
    r2.close();
  });
});
