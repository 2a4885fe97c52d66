import { describe, expect, it } from 'vitest';
import { tcpSocket, udpSocket } from '../src/collect/sockets.js';
import { pickPlatformLayout } from '../src/parse/layouts.js';
import { parseIfList } from '../src/parse/iflist.js';
import { parseKinfoProc } from '../src/parse/kinfo-proc.js';
import { parseTcpStates } from '../src/parse/tcp-states.js';
import { parseTcpstat } from '../src/parse/tcpstat.js';
import { parseUdpstat } from '../src/parse/udpstat.js';
import { parseXfiles } from '../src/parse/xfile.js';
import { parseXinpcb } from '../src/parse/xinpcb.js';
import { parsePcbList } from '../src/parse/xinpgen.js';
import { parseXtcpcb } from '../src/parse/xtcpcb.js';
import { ifinfoMessage, kinfoProc, newaddrMessage, pcblist, syncacheRecord, tcpstat, tcpStates, udpstat, xfile, xinpcb, xtcpcb } from './fixture-writer.js';
import { seededRandom } from '@sockscope/test-utils';

const layouts = [pickPlatformLayout(1302001, 'amd64').layout, pickPlatformLayout(1400097, 'arm64').layout];
const v4 = { vflag: 1, laddr: '10.0.0.1', faddr: '10.0.0.2', lport: 22, fport: 50000 };

/** Runs every parser on one buffer; returns how many records the pcblist walks produced. */
function parseAll(buf: Buffer): number {
  let produced = 0;
  for (const kind of ['tcp', 'udp'] as const) {
    const l = parsePcbList(buf, kind);
    if ('error' in l) continue;
    produced += l.records.length + l.skippedNewer;
    for (const rec of l.records) {
      for (const layout of layouts) {
        const t = kind === 'tcp' ? parseXtcpcb(rec, layout.xtcpcb) : parseXinpcb(rec);
        if ('error' in t) continue;
        if ('inp' in t) tcpSocket(t, layout.major);
        else udpSocket(t);
      }
    }
  }
  for (const layout of layouts) parseXtcpcb(buf, layout.xtcpcb);
  parseXinpcb(buf);
  parseXfiles(buf);
  parseKinfoProc(buf);
  parseTcpstat(buf, 14);
  parseUdpstat(buf);
  parseTcpStates(buf);
  parseIfList(buf);
  return produced;
}

const valid: Buffer[] = [
  pcblist(9n, [xtcpcb({ ...v4, state: 4, maxseg: 1448, cwnd: 14480 }, 14), syncacheRecord(v4, 14), xtcpcb({ ...v4, vflag: 3, state: 1 }, 13)]),
  pcblist(9n, [xinpcb(v4), xinpcb({ ...v4, vflag: 2, laddr: '::1', faddr: '::' })]),
  Buffer.concat([xfile({ pid: 1, fd: 3, data: 0x10n }), xfile({ pid: 2, fd: 4, data: 0x20n })]),
  kinfoProc({ pid: 1, comm: 'init' }),
  tcpstat(13, { sndtotal: 5 }),
  tcpstat(14, { rcvtotal: 5 }),
  udpstat({ ipackets: 1 }),
  tcpStates([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  Buffer.concat([ifinfoMessage({ index: 1, flags: 1, name: 'em0', mac: [1, 2, 3, 4, 5, 6], data: { ibytes: 1 } }), newaddrMessage()]),
];

describe('fuzzing (seeded; no throw escapes, no endless walk)', () => {
  it('survives 3000 random buffers', () => {
    const rand = seededRandom(0x5eed);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 3000);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
      // Every 4th case gets a valid xinpgen header so the walk goes past the first check.
      if (i % 4 === 0 && len >= 64) buf.writeBigUInt64LE(64n, 0);
      expect(() => parseAll(buf), `case ${i}`).not.toThrow();
    }
  });

  it('survives every truncation of valid fixtures', () => {
    let cases = 0;
    for (const full of valid) {
      for (let cut = 0; cut <= full.length; cut += 7) {
        expect(() => parseAll(full.subarray(0, cut)), `cut ${cut} of ${full.length}`).not.toThrow();
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
  });

  it('survives 3000 valid lists with random length fields and flipped bytes, never producing more records than fit', () => {
    const rand = seededRandom(42);
    const list = valid[0]!;
    const specials = [0n, 1n, 8n, 63n, 64n, 65n, 400n, 744n, 745n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n];
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(list);
      const slot = [64, 64 + 744, 64 + 744 * 2, 64 + 744 * 3][Math.floor(rand() * 4)]!;
      buf.writeBigUInt64LE(specials[Math.floor(rand() * specials.length)]!, slot);
      for (let k = 0; k < 4; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      let produced = 0;
      expect(() => (produced = parseAll(buf)), `case ${i}`).not.toThrow();
      expect(produced).toBeLessThanOrEqual(2 * Math.floor((buf.length - 64) / 393));
    }
  });
});
