import type { Libc } from './libc.js';
import { readSizeCell, sizeCell } from './libc.js';
import { readGrowing, type GrowBounds, type RawSysctlCall, type SysctlResult } from './grow-retry.js';

type SysctlbynameFn = (name: string, old: Buffer | null, oldlenp: Buffer, newp: null, newlen: number) => number;

/**
 * Binds sysctlbyname(3) and returns a reader by name (`net.inet.tcp.pcblist`). Names with a
 * numeric tail do not resolve here; use sysctlnametomib and the MIB reader. The new-value
 * arguments are always NULL/0. Throws when the symbol is missing.
 */
export function bindSysctlbyname({ koffi, lib }: Libc, bounds: GrowBounds): (name: string) => SysctlResult {
  const b = { fn: lib.func('int sysctlbyname(const char *name, void *oldp, void *oldlenp, const void *newp, size_t newlen)') as SysctlbynameFn };
  return (name) => {
    const call = (old: Buffer | null, oldlen: number): RawSysctlCall => {
      const cell = sizeCell(oldlen);
      const rc = b.fn(name, old, cell, null, 0);
      return { rc, errno: rc === 0 ? 0 : koffi.errno(), oldlen: readSizeCell(cell) };
    };
    return readGrowing(`sysctl ${name}`, call, bounds);
  };
}
