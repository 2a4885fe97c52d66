import { describe, expect, it } from 'vitest';
import { parsePcbList, walkPcbList, type PcbList } from '../src/parse/xinpgen.js';
import { pcblist, syncacheRecord, xinpcb, xinpgen, xtcpcb } from './fixture-writer.js';

const v4 = { vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 50000 };
const tcp = (gencnt: bigint, lport = 22) => xtcpcb({ ...v4, lport, state: 4, so: 0x1000n + gencnt, gencnt }, 14);

function ok(r: ReturnType<typeof parsePcbList>): PcbList {
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('pcblist framing (xinpgen header + records + trailer)', () => {
  it('splits records by xt_len and stops at the trailer', () => {
    const l = ok(parsePcbList(pcblist(7n, [tcp(1n), tcp(2n), tcp(3n)]), 'tcp'));
    expect(l.records.map((r) => r.length)).toEqual([744, 744, 744]);
    expect(l.records.map((r) => r.readUInt16BE(262))).toEqual([22, 22, 22]);
    expect(l).toMatchObject({ headerGen: 7n, trailerGen: 7n, count: 3, generationChanged: false, truncated: false, skippedNewer: 0, warnings: [] });
  });

  it('an empty list is header + trailer', () => {
    const l = ok(parsePcbList(pcblist(1n, []), 'udp'));
    expect(l.records).toEqual([]);
    expect(l.truncated).toBe(false);
  });

  it('signals a generation change when header and trailer xig_gen differ (caller retries)', () => {
    const l = ok(parsePcbList(pcblist(7n, [tcp(1n)], 8n), 'tcp'));
    expect(l.generationChanged).toBe(true);
    expect(l.trailerGen).toBe(8n);
    expect(l.records).toHaveLength(1);
  });

  it('skips records whose inp_gencnt is newer than the header generation', () => {
    const l = ok(parsePcbList(pcblist(5n, [tcp(4n, 1), tcp(6n, 2), tcp(5n, 3)]), 'tcp'));
    expect(l.skippedNewer).toBe(1);
    expect(l.records.map((r) => r.readUInt16BE(262))).toEqual([1, 3]);
    const u = ok(parsePcbList(pcblist(5n, [xinpcb({ ...v4, gencnt: 9n }), xinpcb({ ...v4, gencnt: 2n })]), 'udp'));
    expect(u.skippedNewer).toBe(1);
    expect(u.records).toHaveLength(1);
  });

  it('walks half-open SYN (syncache) entries whose xi_len is 0 by their xt_len, without looping', () => {
    const syn = syncacheRecord({ vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.9', lport: 443, fport: 61000 }, 14);
    expect(syn.readBigUInt64LE(8)).toBe(0n); // xi_len really is 0
    const l = ok(parsePcbList(pcblist(3n, [syn, syn, tcp(1n)]), 'tcp'));
    expect(l.records).toHaveLength(3);
    expect(l.truncated).toBe(false);
  });

  it('ends the walk (no endless loop) on a UDP record with xi_len 0', () => {
    const zero = xinpcb({ ...v4, xiLen: 0 });
    const l = ok(parsePcbList(pcblist(3n, [xinpcb(v4), zero, xinpcb(v4)]), 'udp'));
    expect(l.records).toHaveLength(1);
    expect(l.truncated).toBe(true);
    expect(l.warnings).toEqual([
      { code: 'ERR_FREEBSD_SYSCTL_DECODE', message: expect.stringMatching(/offset 464 has length 0/) },
      { code: 'ERR_FREEBSD_SYSCTL_INCONSISTENT', message: expect.stringMatching(/without its trailer after 1 records/) },
    ]);
  });

  it('keeps the complete records of a list cut inside a record or inside the trailer', () => {
    const full = pcblist(2n, [tcp(1n), tcp(2n)]);
    for (const cut of [64 + 744 + 100, 64 + 744 * 2 + 30, 64 + 744 * 2]) {
      const l = ok(parsePcbList(full.subarray(0, cut), 'tcp'));
      expect(l.truncated).toBe(true);
      expect(l.trailerGen).toBeUndefined();
      expect(l.records).toHaveLength(cut >= 64 + 744 * 2 ? 2 : 1);
      expect(l.warnings.some((w) => w.code === 'ERR_FREEBSD_SYSCTL_INCONSISTENT' && w.message.includes('without its trailer'))).toBe(true);
    }
  });

  it('steps by the record length field, not a compiled-in size', () => {
    const longer = Buffer.concat([tcp(1n, 80), Buffer.alloc(16)]);
    longer.writeBigUInt64LE(760n, 0);
    const l = ok(parsePcbList(pcblist(2n, [longer, tcp(1n, 81)]), 'tcp'));
    expect(l.records.map((r) => r.length)).toEqual([760, 744]);
    expect(l.records.map((r) => r.readUInt16BE(262))).toEqual([80, 81]);
    expect(l.warnings).toEqual([{ code: 'ERR_FREEBSD_SYSCTL_LAYOUT', message: expect.stringMatching(/record length 760 differs from the documented 744/) }]);
  });

  it('walkPcbList hands each kept record to its callback in kernel order and reports the same frame, keeping no list', () => {
    const buf = pcblist(5n, [tcp(4n, 1), tcp(6n, 2), tcp(5n, 3)]);
    const ports: number[] = [];
    const frame = walkPcbList(buf, 'tcp', (r) => void ports.push(r.readUInt16BE(262)));
    if ('error' in frame) throw new Error(frame.error);
    expect(ports).toEqual([1, 3]);
    expect('records' in frame).toBe(false);
    expect(frame).toMatchObject({ kept: 2, skippedNewer: 1, headerGen: 5n, trailerGen: 5n, truncated: false, warnings: [] });
    const { records, ...listed } = ok(parsePcbList(buf, 'tcp'));
    expect(records).toHaveLength(frame.kept);
    expect(listed).toEqual(frame);
  });

  it('refuses a buffer shorter than the header and a header with another xig_len', () => {
    expect(parsePcbList(Buffer.alloc(10), 'tcp')).toEqual({ error: expect.stringMatching(/10 bytes is too short/) });
    const odd = xinpgen(1n);
    odd.writeBigUInt64LE(72n, 0);
    expect(parsePcbList(odd, 'udp')).toEqual({ error: expect.stringMatching(/xig_len is 72, not 64: unknown ABI/) });
  });
});
