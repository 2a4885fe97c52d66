import type { ProcessInfo } from '@sockscope/core';
import { Errno } from '../errors.js';
import { parseKinfoProc } from '../parse/kinfo-proc.js';
import { parseXfiles } from '../parse/xfile.js';
import type { SysctlReader } from '../sysctl-reader.js';
import type { KeyedSocket } from './sockets.js';

/** kern.proc.pid's MIB as documented (1, 14, 1), used when sysctlnametomib fails. */
const KERN_PROC_PID_MIB = [1, 14, 1];

/** State kept across cycles: the resolved MIB prefix of kern.proc.pid. */
export interface ProcessJoinCache {
  /** sysctlnametomib("kern.proc.pid"), resolved once. */
  procPidMib?: number[];
}

/**
 * Sets `record.process` on every socket whose xso_so appears as xf_data in kern.file, with the
 * command name from kern.proc.pid.<pid>. A socket held by several processes (fork, fd passing)
 * is attributed to the lowest pid, so the result does not depend on kern.file's order.
 * Processes that exit between the two reads (ESRCH) are left unattributed without a warning.
 */
export async function attachProcesses(sockets: readonly KeyedSocket[], reader: SysctlReader, cache: ProcessJoinCache, signal: AbortSignal): Promise<string[]> {
  const warnings: string[] = [];
  const files = await reader.byName('kern.file');
  if (!files.ok) return [`${files.message}; sockets are not attributed to processes`];
  const parsed = parseXfiles(files.buf);
  warnings.push(...parsed.warnings);
  const owner = new Map<bigint, number>();
  for (const f of parsed.sockets) {
    const seen = owner.get(f.so);
    if (seen === undefined || f.pid < seen) owner.set(f.so, f.pid);
  }
  const wanted = new Set<number>();
  for (const s of sockets) {
    const pid = s.so === 0n ? undefined : owner.get(s.so);
    if (pid !== undefined) wanted.add(pid);
  }
  if (wanted.size === 0) return warnings;

  if (!cache.procPidMib) {
    const r = await reader.nameToMib('kern.proc.pid');
    if (r.ok) cache.procPidMib = r.mib;
    else {
      warnings.push(`${r.message}; using the documented MIB ${KERN_PROC_PID_MIB.join('.')}`);
      cache.procPidMib = KERN_PROC_PID_MIB;
    }
  }
  const procs = new Map<number, ProcessInfo>();
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
    else procs.set(pid, { pid, ppid: kp.ppid, comm: kp.comm, uid: kp.ruid });
  }
  if (failures.length > 0) warnings.push(`kern.proc.pid failed for ${failures.length} process(es), their sockets stay unattributed: ${failures.slice(0, 3).join('; ')}`);
  for (const s of sockets) {
    const pid = s.so === 0n ? undefined : owner.get(s.so);
    const proc = pid === undefined ? undefined : procs.get(pid);
    if (proc) s.record.process = { ...proc };
  }
  return warnings;
}
