import type { ProcessInfo, Warning } from '@sockscope/core';
import { Errno, freebsdWarning } from '../errors.js';
import { parseKinfoProc } from '../parse/kinfo-proc.js';
import { parseXfiles } from '../parse/xfile.js';
import type { SysctlReader } from '../sysctl-reader.js';

/** kern.proc.pid's MIB as documented (1, 14, 1), used when sysctlnametomib fails. */
const KERN_PROC_PID_MIB = [1, 14, 1];

/** State kept across cycles: the resolved MIB prefix of kern.proc.pid. */
export interface ProcessJoinCache {
  /** sysctlnametomib("kern.proc.pid"), resolved once. */
  procPidMib?: number[];
}

/** Who holds each socket, for one cycle. */
export interface SocketOwners {
  /** Kernel socket address (kern.file xf_data) → the lowest pid holding it. */
  pidOf: ReadonlyMap<bigint, number>;
  /** The processes read from kern.proc.pid, by pid. */
  processes: ReadonlyMap<number, ProcessInfo>;
}

/**
 * Reads kern.file, then kern.proc.pid.<pid> for every process holding one of the sockets
 * `eachSocket` names (its callback gets each pcblist record's xso_so), in pid order. A socket
 * held by several processes (fork, fd passing) is attributed to the lowest pid, so the result
 * does not depend on kern.file's order. Processes that exit between the reads (ESRCH) are left
 * out without a warning. Undefined (with a warning) when kern.file cannot be read.
 */
export async function readSocketOwners(
  eachSocket: (add: (so: bigint) => void) => void,
  reader: SysctlReader,
  cache: ProcessJoinCache,
  signal: AbortSignal,
  warnings: Warning[],
): Promise<SocketOwners | undefined> {
  const files = await reader.byName('kern.file');
  if (!files.ok) {
    warnings.push(freebsdWarning(files.code, `${files.message}; sockets are not attributed to processes`));
    return undefined;
  }
  const parsed = parseXfiles(files.buf);
  warnings.push(...parsed.warnings);
  const pidOf = new Map<bigint, number>();
  for (const f of parsed.sockets) {
    const seen = pidOf.get(f.so);
    if (seen === undefined || f.pid < seen) pidOf.set(f.so, f.pid);
  }
  const wanted = new Set<number>();
  eachSocket((so) => {
    const pid = so === 0n ? undefined : pidOf.get(so);
    if (pid !== undefined) wanted.add(pid);
  });
  const processes = new Map<number, ProcessInfo>();
  if (wanted.size === 0) return { pidOf, processes };

  if (!cache.procPidMib) {
    const r = await reader.nameToMib('kern.proc.pid');
    if (r.ok) cache.procPidMib = r.mib;
    else {
      warnings.push(freebsdWarning(r.code, `${r.message}; using the documented MIB ${KERN_PROC_PID_MIB.join('.')}`));
      cache.procPidMib = KERN_PROC_PID_MIB;
    }
  }
  const failures: string[] = [];
  for (const pid of [...wanted].sort((a, b) => a - b)) {
    signal.throwIfAborted();
    const r = await reader.byMib([...cache.procPidMib, pid]);
    if (!r.ok) {
      if (r.errno !== Errno.ESRCH) failures.push(`${pid}: ${r.message}`);
      continue;
    }
    const kp = parseKinfoProc(r.buf);
    if ('error' in kp) failures.push(`${pid}: ${kp.error}`);
    else processes.set(pid, { pid, ppid: kp.ppid, comm: kp.comm, uid: kp.ruid });
  }
  if (failures.length > 0) warnings.push(freebsdWarning('ERR_FREEBSD_SYSCTL_READ', `kern.proc.pid failed for ${failures.length} process(es), their sockets stay unattributed: ${failures.slice(0, 3).join('; ')}`));
  return { pidOf, processes };
}

/** The process holding kernel socket `so` (a copy, so records never share one), if known. */
export function processOf(owners: SocketOwners | undefined, so: bigint): ProcessInfo | undefined {
  if (!owners || so === 0n) return undefined;
  const pid = owners.pidOf.get(so);
  const proc = pid === undefined ? undefined : owners.processes.get(pid);
  return proc ? { ...proc } : undefined;
}
