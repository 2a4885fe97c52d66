import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readGrowing, type GrowBounds, type RawSysctlCall } from '../src/ffi/grow-retry.js';
import { loadLibc, type Libc } from '../src/ffi/libc.js';
import { kernelSysctlReader } from '../src/sysctl-reader.js';

/** The bounds create() passes with the schema's default max_buffer_bytes (256 MiB). */
const BOUNDS: GrowBounds = { maxBytes: 256 * 1024 * 1024, maxAttempts: 8 };

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
    const r = readGrowing('sysctl x', fakeKernel(() => 800, calls), BOUNDS);
    expect(r).toEqual({ ok: true, buf: Buffer.alloc(800, 7) });
    expect(calls).toEqual([{ old: false, oldlen: 0 }, { old: true, oldlen: 900 }]);
  });

  it('doubles the buffer on ENOMEM while the table keeps growing', () => {
    const calls: Array<{ old: boolean; oldlen: number }> = [];
    const r = readGrowing('sysctl x', fakeKernel((n) => [1000, 5000, 5000][n] ?? 5000, calls), BOUNDS);
    expect(r.ok && r.buf.length).toBe(5000);
    expect(calls.map((c) => c.oldlen)).toEqual([0, 1125, 2250, 4500, 9000]);
  });

  it('gives up at the bound with an error that says so', () => {
    const calls: Array<{ old: boolean; oldlen: number }> = [];
    const r = readGrowing('sysctl kern.file', fakeKernel((n) => (n === 0 ? 100 : 1_000_000), calls), { maxBytes: 4096, maxAttempts: 8 });
    expect(r).toEqual({ ok: false, code: 'ERR_FREEBSD_SYSCTL_TOO_LARGE', errno: 12, message: expect.stringMatching(/sysctl kern.file: still ENOMEM .* at 4096 bytes .*bound reached, raise max_buffer_bytes/) });
    expect(Math.max(...calls.map((c) => c.oldlen))).toBe(4096);
    const few: Array<{ old: boolean; oldlen: number }> = [];
    expect(readGrowing('sysctl y', fakeKernel((n) => (n === 0 ? 10 : 1e9), few), { maxBytes: 1e9, maxAttempts: 3 }).ok).toBe(false);
    expect(few).toHaveLength(4);
  });

  it('returns other errnos at once', () => {
    const call = (old: Buffer | null): RawSysctlCall => (old ? { rc: -1, errno: 3, oldlen: 0 } : { rc: 0, errno: 0, oldlen: 10 });
    expect(readGrowing('sysctl 1.14.1.99', call, BOUNDS)).toEqual({ ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: 3, message: 'sysctl 1.14.1.99: read failed with errno 3' });
    expect(readGrowing('sysctl nope', () => ({ rc: -1, errno: 2, oldlen: 0 }), BOUNDS)).toMatchObject({ ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno: 2 });
  });
});

describe('ffi fence', () => {
  it('never loads koffi off FreeBSD: the loader rejects with a coded error', async () => {
    await expect(loadLibc('linux')).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM', message: expect.stringMatching(/only load on FreeBSD, this is linux/) });
    await expect(loadLibc()).rejects.toMatchObject({ code: 'ERR_FREEBSD_SYSCTL_PLATFORM' });
  });

  it('binds the sysctl functions when the reader is built (at create()): a libc without one throws ERR_FREEBSD_SYSCTL_LOAD there', () => {
    const bound: string[] = [];
    const libc = (missing: string) => ({
      koffi: { errno: () => 0 },
      lib: {
        func: (decl: string) => {
          if (decl.includes(` ${missing}(`)) throw new Error(`cannot find function '${missing}'`);
          bound.push(decl);
          return () => 0;
        },
      },
    }) as unknown as Libc;
    expect(() => kernelSysctlReader(libc('sysctlnametomib'), BOUNDS)).toThrow(expect.objectContaining({
      code: 'ERR_FREEBSD_SYSCTL_LOAD',
      message: expect.stringMatching(/sysctl functions of libc.so.7: cannot find function 'sysctlnametomib'/),
    }));
    bound.length = 0;
    expect(kernelSysctlReader(libc('none'), BOUNDS)).toMatchObject({ byName: expect.any(Function), byMib: expect.any(Function), nameToMib: expect.any(Function) });
    expect(bound.map((d) => d.match(/int (\w+)\(/)?.[1])).toEqual(['sysctlbyname', 'sysctl', 'sysctlnametomib']);
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
