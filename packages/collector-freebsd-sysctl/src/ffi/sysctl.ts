import type { Libc } from './libc.js';
import { readSizeCell, sizeCell } from './libc.js';
import { readGrowing, type GrowBounds, type RawSysctlCall, type SysctlResult } from './grow-retry.js';

type SysctlFn = (mib: Buffer, namelen: number, old: Buffer | null, oldlenp: Buffer, newp: null, newlen: number) => number;

/**
 * Binds sysctl(3) and returns a reader by numeric MIB (`[1, 14, 1, pid]` for
 * kern.proc.pid.<pid>). The new-value arguments are always NULL/0. Throws when the symbol is missing.
 */
export function bindSysctlMib({ koffi, lib }: Libc, bounds: GrowBounds): (mib: readonly number[]) => SysctlResult {
  const b = { fn: lib.func('int sysctl(const void *name, unsigned int namelen, void *oldp, void *oldlenp, const void *newp, size_t newlen)') as SysctlFn };
  return (mib) => {
    const name = Buffer.alloc(mib.length * 4);
    mib.forEach((v, i) => name.writeInt32LE(v, i * 4));
    const call = (old: Buffer | null, oldlen: number): RawSysctlCall => {
      const cell = sizeCell(oldlen);
      const rc = b.fn(name, mib.length, old, cell, null, 0);
      return { rc, errno: rc === 0 ? 0 : koffi.errno(), oldlen: readSizeCell(cell) };
    };
    return readGrowing(`sysctl ${mib.join('.')}`, call, bounds);
  };
}
