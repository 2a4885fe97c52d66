import { loadLibc, readSizeCell, sizeCell } from './libc.js';
import { readGrowing, type GrowBounds, type RawSysctlCall, type SysctlResult } from './grow-retry.js';

type SysctlbynameFn = (name: string, old: Buffer | null, oldlenp: Buffer, newp: null, newlen: number) => number;
let bound: { fn: SysctlbynameFn; errno: () => number } | undefined;

/**
 * Reads a sysctl by name (`net.inet.tcp.pcblist`). Names with a numeric tail do not resolve
 * here; use sysctlnametomib and sysctlMib. The new-value arguments are always NULL/0.
 */
export async function sysctlbyname(name: string, bounds?: GrowBounds): Promise<SysctlResult> {
  if (!bound) {
    const { koffi, lib } = await loadLibc();
    const fn = lib.func('int sysctlbyname(const char *name, void *oldp, void *oldlenp, const void *newp, size_t newlen)') as SysctlbynameFn;
    bound = { fn, errno: () => koffi.errno() };
  }
  const b = bound;
  const call = (old: Buffer | null, oldlen: number): RawSysctlCall => {
    const cell = sizeCell(oldlen);
    const rc = b.fn(name, old, cell, null, 0);
    return { rc, errno: rc === 0 ? 0 : b.errno(), oldlen: readSizeCell(cell) };
  };
  return readGrowing(`sysctl ${name}`, call, bounds);
}
