import { loadLibc, readSizeCell, sizeCell } from './libc.js';

type NameToMibFn = (name: string, mibp: Buffer, sizep: Buffer) => number;
let bound: { fn: NameToMibFn; errno: () => number } | undefined;

/** CTL_MAXNAME: the deepest MIB the kernel accepts. */
const CTL_MAXNAME = 24;

/** Resolves a sysctl name to its numeric MIB (e.g. `kern.proc.pid` → [1, 14, 1]), or the errno. */
export async function sysctlnametomib(name: string): Promise<{ ok: true; mib: number[] } | { ok: false; errno: number; message: string }> {
  if (!bound) {
    const { koffi, lib } = await loadLibc();
    const fn = lib.func('int sysctlnametomib(const char *name, void *mibp, void *sizep)') as NameToMibFn;
    bound = { fn, errno: () => koffi.errno() };
  }
  const mibp = Buffer.alloc(CTL_MAXNAME * 4);
  const sizep = sizeCell(CTL_MAXNAME);
  if (bound.fn(name, mibp, sizep) !== 0) {
    const errno = bound.errno();
    return { ok: false, errno, message: `sysctlnametomib ${name} failed with errno ${errno}` };
  }
  const n = Math.min(CTL_MAXNAME, readSizeCell(sizep));
  const mib: number[] = [];
  for (let i = 0; i < n; i++) mib.push(mibp.readInt32LE(i * 4));
  return { ok: true, mib };
}
