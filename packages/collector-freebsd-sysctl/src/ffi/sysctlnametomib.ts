import type { Libc } from './libc.js';
import { readSizeCell, sizeCell } from './libc.js';

type NameToMibFn = (name: string, mibp: Buffer, sizep: Buffer) => number;

/** CTL_MAXNAME: the deepest MIB the kernel accepts. */
const CTL_MAXNAME = 24;

/** A resolved MIB, or the errno (a failed sysctlnametomib is an ERR_FREEBSD_SYSCTL_READ). */
export type MibResult = { ok: true; mib: number[] } | { ok: false; code: 'ERR_FREEBSD_SYSCTL_READ'; errno: number; message: string };

/**
 * Binds sysctlnametomib(3) and returns a resolver of a sysctl name to its numeric MIB
 * (e.g. `kern.proc.pid` → [1, 14, 1]). Throws when the symbol is missing.
 */
export function bindSysctlnametomib({ koffi, lib }: Libc): (name: string) => MibResult {
  const fn = lib.func('int sysctlnametomib(const char *name, void *mibp, void *sizep)') as NameToMibFn;
  return (name) => {
    const mibp = Buffer.alloc(CTL_MAXNAME * 4);
    const sizep = sizeCell(CTL_MAXNAME);
    if (fn(name, mibp, sizep) !== 0) {
      const errno = koffi.errno();
      return { ok: false, code: 'ERR_FREEBSD_SYSCTL_READ', errno, message: `sysctlnametomib ${name} failed with errno ${errno}` };
    }
    const n = Math.min(CTL_MAXNAME, readSizeCell(sizep));
    const mib: number[] = [];
    for (let i = 0; i < n; i++) mib.push(mibp.readInt32LE(i * 4));
    return { ok: true, mib };
  };
}
