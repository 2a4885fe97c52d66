import type { GrowBounds, SysctlResult } from './ffi/grow-retry.js';
import { loadError, type Libc } from './ffi/libc.js';
import { bindSysctlMib } from './ffi/sysctl.js';
import { bindSysctlbyname } from './ffi/sysctlbyname.js';
import { bindSysctlnametomib, type MibResult } from './ffi/sysctlnametomib.js';

export type { SysctlResult, SysctlFailureCode } from './ffi/grow-retry.js';
export type { MibResult } from './ffi/sysctlnametomib.js';

/**
 * The three sysctl reads the collector needs. The kernel one goes through koffi; tests inject one
 * that serves byte buffers, since FreeBSD cannot run where they run.
 */
export interface SysctlReader {
  /** Reads a sysctl by name. */
  byName(name: string): Promise<SysctlResult>;
  /** Reads a sysctl by numeric MIB. */
  byMib(mib: readonly number[]): Promise<SysctlResult>;
  /** Resolves a name to its MIB. */
  nameToMib(name: string): Promise<MibResult>;
}

/**
 * The reader backed by libc's sysctl functions, bound now (at create()): a libc without one of
 * them throws ERR_FREEBSD_SYSCTL_LOAD here rather than failing every cycle.
 */
export function kernelSysctlReader(libc: Libc, bounds: GrowBounds): SysctlReader {
  let byName: (name: string) => SysctlResult;
  let byMib: (mib: readonly number[]) => SysctlResult;
  let nameToMib: (name: string) => MibResult;
  try {
    byName = bindSysctlbyname(libc, bounds);
    byMib = bindSysctlMib(libc, bounds);
    nameToMib = bindSysctlnametomib(libc);
  } catch (err) {
    throw loadError('the sysctl functions of libc.so.7', err);
  }
  return {
    byName: async (name) => byName(name),
    byMib: async (mib) => byMib(mib),
    nameToMib: async (name) => nameToMib(name),
  };
}
