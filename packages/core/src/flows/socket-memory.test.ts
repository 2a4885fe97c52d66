import { describe, expect, it } from 'vitest';
import type { SocketRecord } from '../types/socket.js';
import { CounterSlots } from './counter-slots.js';
import { prng, tcpSocket } from './sockets.fixture.js';
import { SocketMemos, type SocketMemo } from './socket-memory.js';

// SocketMemos walks a cursor over the order the last collection saw its sockets in before it asks
// the map. These check that the cursor never changes an answer: whatever the order, the memo of a
// socket is the one the map alone would give (a model map here), as sockets close, open, move and
// are forgotten between collections, with and without cookies, in one namespace and in several.

const NS = [4026531840, 4026532001, 4026532002];

/** Socket number `n`: with a cookie, or (every 5th) none, so its identity is netns + inode + endpoints. */
const sock = (n: number, netns?: number): SocketRecord => {
  const base = tcpSocket({ inode: 10_000 + n, local: { address: '10.0.0.1', port: 1000 + (n % 60_000) }, remote: { address: '10.0.0.9', port: 40_000 }, ...(netns === undefined ? {} : { netns }) });
  if (n % 5 === 0) {
    const { cookie: _c, ...rest } = base;
    return rest;
  }
  return { ...base, cookie: BigInt(n) };
};

/** Shuffles a copy (Fisher-Yates). */
const shuffled = <T>(xs: readonly T[], rand: () => number): T[] => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

describe('SocketMemos: the order cursor gives the map answer whatever the order', () => {
  for (const perNamespace of [false, true]) {
    it(`sockets closing, opening and moving between collections (${perNamespace ? 'several namespaces' : 'one namespace'})`, () => {
      const rand = prng(perNamespace ? 7 : 3);
      const memos = new SocketMemos(new CounterSlots([(s) => s.inode], 0), perNamespace);
      // the model: one memo per identity, as the map alone keeps it
      const model = new Map<string, SocketMemo>();
      const keyOf = (s: SocketRecord): string => `${perNamespace ? (s.netns ?? '') : ''}|${s.cookie ?? `${s.inode}`}`;
      // the same socket numbers in every namespace: equal cookies are told apart per namespace
      let live: SocketRecord[] = [];
      let nextId = 1;
      for (let i = 0; i < 300; i++, nextId++) live.push(sock(nextId, perNamespace ? NS[i % 3] : undefined));
      if (perNamespace) live.push(...live.slice(0, 50).map((s) => ({ ...s, netns: NS[((NS.indexOf(s.netns as number) + 1) % 3)] })));
      let hits = 0;
      for (let gen = 1; gen <= 40; gen++) {
        // between collections: some close (forgotten at once), some go unseen (forgotten below),
        // new ones open anywhere in the order, and now and then the whole order changes
        const next: SocketRecord[] = [];
        for (const s of live) {
          const r = rand();
          if (r < 0.05) {
            const m = model.get(keyOf(s));
            if (m !== undefined) {
              memos.forget(s, m);
              model.delete(keyOf(s));
            }
            continue;
          }
          if (r < 0.08) continue; // unseen this time: forgotten after the collection
          if (r < 0.12) next.push(sock(nextId++, perNamespace ? NS[Math.floor(rand() * 3)] : undefined));
          next.push(s);
        }
        live = gen % 9 === 0 ? shuffled(next, rand) : gen % 13 === 0 ? next.reverse() : next;
        for (const s of live) {
          const want = model.get(keyOf(s));
          // half the time find first (as the fold does for direction), then see with what it found
          const found = rand() < 0.5 ? memos.find(s) : undefined;
          if (found !== undefined) expect(found).toBe(want);
          const m = memos.see(s, gen, found);
          if (want === undefined) {
            expect([...model.values()]).not.toContain(m);
            model.set(keyOf(s), m);
          } else {
            expect(m).toBe(want);
            hits++;
          }
          expect(m.gen).toBe(gen);
        }
        memos.forgetSeenBefore(gen);
        for (const [k, m] of model) if (m.gen < gen) model.delete(k);
        expect(memos.size).toBe(model.size);
      }
      expect(hits).toBeGreaterThan(1000);
    });
  }

  it('never offers a forgotten memo: the same identity seen again at the same place is a new socket', () => {
    const memos = new SocketMemos(undefined);
    const a = sock(5); // no cookie: its identity (inode and endpoints) can come back
    const b = sock(6);
    const first = memos.see(a, 1);
    memos.see(b, 1);
    memos.forget(a, first);
    expect(memos.find(a)).toBeUndefined();
    const again = memos.see(a, 2);
    expect(again).not.toBe(first);
    expect(memos.find(a)).toBe(again);
    // and one forgotten for going unseen
    memos.see(b, 2);
    memos.forgetSeenBefore(3);
    expect(memos.size).toBe(0);
    const b2 = memos.see(b, 3);
    expect(b2.gen).toBe(3);
    expect(memos.find(a)).toBeUndefined();
    expect(memos.size).toBe(1);
  });

  it('a socket met twice in one collection keeps one memo and one place', () => {
    const memos = new SocketMemos(undefined);
    const xs = [sock(1), sock(2), sock(3)];
    const first = xs.map((s) => memos.see(s, 1));
    for (const s of [...xs, xs[1] as SocketRecord]) memos.see(s, 2);
    expect(xs.map((s) => memos.see(s, 3))).toEqual(first);
    expect(memos.size).toBe(3);
  });

  it('tells equal cookies of two namespaces apart at the cursor', () => {
    const memos = new SocketMemos(undefined, true);
    const a1 = sock(1, NS[0]);
    const a2 = { ...a1, netns: NS[1] };
    const m1 = memos.see(a1, 1);
    // next time the other namespace's socket with the same cookie comes first, where a1 was
    expect(memos.find(a2)).toBeUndefined();
    const m2 = memos.see(a2, 2);
    expect(m2).not.toBe(m1);
    expect(memos.see(a1, 2)).toBe(m1);
    expect(memos.size).toBe(2);
  });
});
