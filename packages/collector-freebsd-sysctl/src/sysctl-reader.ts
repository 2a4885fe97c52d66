import type { GrowBounds, SysctlResult } from './ffi/grow-retry.js';
import { sysctlMib } from './ffi/sysctl.js';
import { sysctlbyname } from './ffi/sysctlbyname.js';
import { sysctlnametomib } from './ffi/sysctlnametomib.js';

export type { SysctlResult } from './ffi/grow-retry.js';

/** A resolved MIB, or the errno. */
export type MibResult = { ok: true; mib: number[] } | { ok: false; errno: number; message: string };

/** The three sysctl reads the collector needs; the kernel one goes through koffi. */
export interface SysctlReader {
  /** Reads a sysctl by name. */
  byName(name: string): Promise<SysctlResult>;
  /** Reads a sysctl by numeric MIB. */
  byMib(mib: readonly number[]): Promise<SysctlResult>;
  /** Resolves a name to its MIB. */
  nameToMib(name: string): Promise<MibResult>;
}

/** The reader backed by libc's sysctl functions (FreeBSD only; loads koffi on first use). */
export function kernelSysctlReader(bounds: GrowBounds): SysctlReader {
  return {
    byName: (name) => sysctlbyname(name, bounds),
    byMib: (mib) => sysctlMib(mib, bounds),
    nameToMib: (name) => sysctlnametomib(name),
  };
}
