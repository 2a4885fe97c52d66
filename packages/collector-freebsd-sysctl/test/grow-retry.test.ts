import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readGrowing, type RawSysctlCall } from '../src/ffi/grow-retry.js';
import { loadLibc } from '../src/ffi/libc.js';
import { sysctlbyname } from '../src/ffi/sysctlbyname.js';

/** A fake kernel side of one sysctl: `sizes` is the table size at each call (it grows between calls). */
function fakeKernel(payloadAt: (call: number) => number, calls: Array<{ old: boolean; oldlen: number }>) {
  return (old: Buffer | null, oldlen: number): RawSysctlCall => {
    const size = payloadAt(calls.length);
    calls.push({ old: old !== null, oldlen });
    if (old === null) return { rc: 0, errno: 0, oldlen: size };
    if (oldlen < size) {
      old.fill(1, 0, oldlen);
      return { rc: -1, errno: 12, oldlen }; // ENOMEM: copied what fit
    }
    old.fill(7, 0, size);
    return { rc: 0, errno: 0, oldlen: size };
  };
}

describe('readGrowing (short buffer: grow and retry, bounded)', () => {
  it('probes, reads with slack, and returns exactly the bytes copied', () => {
    const calls: Array<{ old: boolean; oldlen: number }> = [];
    const r = readGrowing('sysctl x', fakeKernel(() => 800, calls));
    expect(r).toEqual({ ok: true, buf: Buffer.alloc(800, 7) });
    expect(calls).toEqual([{ old: false, oldlen: 0 }, { old: true, oldlen: 900 }]);
  });

  it('doubles the buffer on ENOMEM while the table keeps growing', () => {
    const calls: Array<{ old: boolean; oldlen: number }> = [];
    const r = readGrowing('sysctl x', fakeKernel((n) => [1000, 5000, 5000][n] ?? 5000, calls));
    expect(r.ok && r.buf.length).toBe(5000);
    expect(calls.map((c) => c.oldlen)).toEqual([0, 1125, 2250, 4500, 9000]);
  });

  it('gives up at the bound with an error that says so', () => {
    const calls: Array<{ old: boolean; oldlen: number }> = [];
    const r = readGrowing('sysctl kern.file', fakeKernel((n) => (n === 0 ? 100 : 1_000_000), calls), { maxBytes: 4096, maxAttempts: 8 });
    expect(r).toEqual({ ok: false, errno: 12, message: expect.stringMatching(/sysctl kern.file: still ENOMEM .* at 4096 bytes .*bound reached, raise maxBufferBytes/) });
    expect(Math.max(...calls.map((c) => c.oldlen))).toBe(4096);
    const few: Array<{ old: boolean; oldlen: number }> = [];
    expect(readGrowing('sysctl y', fakeKernel((n) => (n === 0 ? 10 : 1e9), few), { maxBytes: 1e9, maxAttempts: 3 }).ok).toBe(false);
    expect(few).toHaveLength(4);
  });

  it('returns other errnos at once', () => {
    const call = (old: Buffer | null): RawSysctlCall => (old ? { rc: -1, errno: 3, oldlen: 0 } : { rc: 0, errno: 0, oldlen: 10 });
    expect(readGrowing('sysctl 1.14.1.99', call)).toEqual({ ok: false, errno: 3, message: 'sysctl 1.14.1.99: read failed with errno 3' });
    expect(readGrowing('sysctl nope', () => ({ rc: -1, errno: 2, oldlen: 0 }))).toMatchObject({ ok: false, errno: 2 });
  });
});

describe('ffi fence', () => {
  it('never loads koffi off FreeBSD: the loader and a binding reject with a coded error', async () => {
    await expect(loadLibc('linux')).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM', message: expect.stringMatching(/only load on FreeBSD, this is linux/) });
    await expect(sysctlbyname('kern.osreldate')).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM' });
  });

  it('imports koffi only in src/ffi/libc.ts, dynamically, and passes NULL/0 as the new value of every sysctl call (read-only)', () => {
    const dir = new URL('../src/ffi/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    const importers = files.filter((f) => /from 'koffi'|import\('koffi'\)/.test(readFileSync(new URL(f, dir), 'utf8')));
    expect(importers).toEqual(['libc.ts']);
    expect(readFileSync(new URL('libc.ts', dir), 'utf8')).not.toMatch(/^import .*koffi/m);
    for (const f of ['sysctl.ts', 'sysctlbyname.ts']) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      const calls = src.match(/b\.fn\([^)]*\)/g) ?? [];
      expect(calls.length).toBe(1);
      expect(calls[0]).toMatch(/, null, 0\)$/);
    }
  });
});
