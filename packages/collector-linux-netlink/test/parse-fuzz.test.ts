import type { SocketRecord } from '@sockscope/core';
import { socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { parseDumpDatagram } from '../src/parse/dump-datagram.js';
import { DUMP_SEQ, fixture, manifest } from './fixtures.js';
import { seededRandom } from '@sockscope/test-utils';

const sources = Object.entries(manifest.files).flatMap(([label, files]) =>
  files.map((f) => ({ label, seq: DUMP_SEQ[label] ?? 0, buf: fixture(f), protocol: label.startsWith('udp') ? ('udp' as const) : ('tcp' as const) })),
);

type Case = { buf: Buffer; length: number; seq: number; protocol: 'tcp' | 'udp'; how: string };

function makeCase(rand: () => number): Case {
  const int = (n: number) => Math.floor(rand() * n);
  const src = sources[int(sources.length)] ?? sources[0];
  if (!src) throw new Error('no fixtures');
  const buf = Buffer.from(src.buf);
  switch (int(5)) {
    case 0: {
      // Noise of any length.
      const noise = Buffer.alloc(int(3000));
      for (let i = 0; i < noise.length; i++) noise[i] = int(256);
      return { buf: noise, length: noise.length, seq: int(3), protocol: src.protocol, how: 'random bytes' };
    }
    case 1:
      return { buf, length: int(buf.length + 1), seq: src.seq, protocol: src.protocol, how: 'truncated' };
    case 2: {
      for (let k = 1 + int(20); k > 0; k--) buf[int(buf.length)] = int(256);
      return { buf, length: buf.length, seq: src.seq, protocol: src.protocol, how: 'bytes flipped' };
    }
    case 3: {
      // Length fields are where parsers loop or overrun: hit nlmsg_len and rta_len positions.
      for (let k = 1 + int(4); k > 0; k--) {
        const at = int(Math.max(1, buf.length - 4)) & ~3;
        if (rand() < 0.5) buf.writeUInt32LE(int(2 ** 32), at);
        else buf.writeUInt16LE(int(rand() < 0.5 ? 8 : 65536), at);
      }
      return { buf, length: buf.length, seq: src.seq, protocol: src.protocol, how: 'length fields' };
    }
    default: {
      // A length that disagrees with the buffer (the caller passes recv's return value).
      return { buf, length: buf.length + int(64) - 32, seq: src.seq, protocol: src.protocol, how: 'length mismatch' };
    }
  }
}

describe('parser fuzz', () => {
  it('never throws, never loops, and every record it returns is well formed (5000 seeded cases)', () => {
    const seed = 0x50c5c09e;
    const rand = seededRandom(seed);
    let records = 0;
    let problems = 0;
    for (let n = 0; n < 5000; n++) {
      const c = makeCase(rand);
      const into: SocketRecord[] = [];
      let out: ReturnType<typeof parseDumpDatagram> | undefined;
      try {
        out = parseDumpDatagram(c.buf, Math.max(0, c.length), c.seq, c.protocol, (r) => void into.push(r));
      } catch (err) {
        expect.fail(`case ${n} (seed ${seed}, ${c.how}) threw: ${String(err)}`);
      }
      expect(out?.parsed, `case ${n}`).toBe(into.length);
      // A record needs at least a header and an inet_diag_msg: no record from thin air.
      expect(into.length * (16 + 72), `case ${n}`).toBeLessThanOrEqual(Math.max(0, c.length));
      for (const r of into) expect(socketRecordProblems(r), `case ${n} (${c.how})`).toEqual([]);
      records += into.length;
      problems += out?.problems.length ?? 0;
    }
    // The cases must exercise both paths, or the fuzzer proves nothing.
    expect(records).toBeGreaterThan(5000);
    expect(problems).toBeGreaterThan(1000);
  });
});
