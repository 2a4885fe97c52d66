import { readFileSync } from 'node:fs';
import type { SocketRecord } from '@sockscope/core';
import { seededRandom, socketRecordProblems } from '@sockscope/test-utils';
import { describe, expect, it } from 'vitest';
import { parseDestroyDatagram } from '../src/index.js';

// Real destroy-event datagrams of this kernel, written by scripts/capture-destroy-fixtures.sh.
const dir = new URL('./fixtures/destroy/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
  kernel: string;
  files: string[];
  expected: { what: string; protocol: 'tcp' | 'udp'; family: 'ipv4' | 'ipv6'; local?: number; remote: number; bytesAcked?: number; bytesReceived?: number; segsOut?: number; segsIn?: number }[];
};
const datagrams = manifest.files.map((f) => readFileSync(new URL(f, dir)));

describe('destroy-event datagrams (captured)', () => {
  it('each datagram is one record, with closedAt, matching what the capture closed', () => {
    const records: SocketRecord[] = [];
    for (const d of datagrams) {
      const out = parseDestroyDatagram(d, d.length, 1234, (r) => void records.push(r));
      expect(out).toEqual({ parsed: 1, problems: [] });
    }
    for (const r of records) {
      expect(socketRecordProblems(r)).toEqual([]);
      expect(r.closedAt).toBe(1234);
      // A connected UDP socket is destroyed ESTABLISHED; TCP ones are CLOSE by then.
      if (r.protocol === 'tcp') expect(r.state).toBe('CLOSE');
    }
    for (const e of manifest.expected) {
      const hits = records.filter((r) => r.remote.port === e.remote && (e.local === undefined || r.local.port === e.local) && r.protocol === e.protocol && r.family === e.family);
      expect(hits, e.what).toHaveLength(1);
      const r = hits[0] as SocketRecord;
      if (e.protocol === 'udp') expect(r.tcp, e.what).toBeUndefined();
      else expect(r.tcp, e.what).toBeDefined();
      if (e.bytesAcked !== undefined) expect(r.tcp?.bytesAcked, e.what).toBe(BigInt(e.bytesAcked));
      if (e.bytesReceived !== undefined) expect(r.tcp?.bytesReceived, e.what).toBe(BigInt(e.bytesReceived));
      if (e.segsOut !== undefined) expect(r.tcp?.segsOut, e.what).toBe(e.segsOut);
      if (e.segsIn !== undefined) expect(r.tcp?.segsIn, e.what).toBe(e.segsIn);
    }
    expect(records).toHaveLength(manifest.expected.length);
  });

  it('several events in one datagram are all read, in order', () => {
    const joined = Buffer.concat(datagrams);
    const ports: number[] = [];
    const out = parseDestroyDatagram(joined, joined.length, 1, (r) => void ports.push(r.local.port));
    expect(out).toEqual({ parsed: datagrams.length, problems: [] });
    expect(ports).toEqual(datagrams.map((d) => d.readUInt16BE(16 + 4)));
  });

  it('a message without INET_DIAG_PROTOCOL, or of another protocol, is a problem, not a record', () => {
    const d = Buffer.from(datagrams[0] as Buffer);
    // The first attribute after the inet_diag_msg is INET_DIAG_PROTOCOL (type 10): retype it.
    expect(d.readUInt16LE(16 + 72 + 2)).toBe(10);
    const other = Buffer.from(d);
    other[16 + 72 + 4] = 132; // SCTP
    d.writeUInt16LE(99, 16 + 72 + 2);
    const seen: SocketRecord[] = [];
    expect(parseDestroyDatagram(d, d.length, 1, (r) => void seen.push(r)).problems).toEqual(['destroy event with no INET_DIAG_PROTOCOL attribute']);
    expect(parseDestroyDatagram(other, other.length, 1, (r) => void seen.push(r)).problems).toEqual(['destroy event with IP protocol 132 (neither TCP nor UDP)']);
    expect(seen).toEqual([]);
  });
});

describe('destroy-event fuzz', () => {
  it('random, truncated, corrupted and oversize datagrams never throw; records are well formed; problems are counted (5000 seeded cases)', { timeout: 60_000 }, () => {
    const seed = 0xde57c0de;
    const rand = seededRandom(seed);
    const int = (n: number) => Math.floor(rand() * n);
    let records = 0;
    let problems = 0;
    for (let n = 0; n < 5000; n++) {
      const src = datagrams[int(datagrams.length)] as Buffer;
      let buf = Buffer.from(src);
      let length = buf.length;
      let how = '';
      switch (int(6)) {
        case 0:
          how = 'random bytes';
          buf = Buffer.alloc(int(2000));
          for (let i = 0; i < buf.length; i++) buf[i] = int(256);
          length = buf.length;
          break;
        case 1:
          how = 'truncated';
          length = int(buf.length + 1);
          break;
        case 2:
          how = 'bytes flipped';
          for (let k = 1 + int(20); k > 0; k--) buf[int(buf.length)] = int(256);
          break;
        case 3:
          how = 'length fields';
          for (let k = 1 + int(4); k > 0; k--) {
            const at = int(Math.max(1, buf.length - 4)) & ~3;
            if (rand() < 0.5) buf.writeUInt32LE(int(2 ** 32), at);
            else buf.writeUInt16LE(int(rand() < 0.5 ? 8 : 65536), at);
          }
          break;
        case 4:
          // Oversize: many events, trailing garbage, a length beyond the buffer (recv's MSG_TRUNC value).
          how = 'oversize';
          buf = Buffer.concat([...Array.from({ length: 1 + int(20) }, () => datagrams[int(datagrams.length)] as Buffer), Buffer.alloc(int(40), int(256))]);
          length = buf.length + int(70_000);
          break;
        default:
          how = 'length mismatch';
          length = buf.length + int(64) - 32;
      }
      const into: SocketRecord[] = [];
      let out: ReturnType<typeof parseDestroyDatagram> | undefined;
      try {
        out = parseDestroyDatagram(buf, Math.max(0, length), 7, (r) => void into.push(r));
      } catch (err) {
        expect.fail(`case ${n} (seed ${seed}, ${how}) threw: ${String(err)}`);
      }
      expect(out?.parsed, `case ${n}`).toBe(into.length);
      expect(into.length * (16 + 72), `case ${n}`).toBeLessThanOrEqual(Math.min(buf.length, Math.max(0, length)));
      for (const r of into) {
        expect(socketRecordProblems(r), `case ${n} (${how})`).toEqual([]);
        expect(r.closedAt).toBe(7);
      }
      records += into.length;
      problems += out?.problems.length ?? 0;
    }
    expect(records).toBeGreaterThan(5000);
    expect(problems).toBeGreaterThan(1000);
  });
});
