import { KINFO_PROC } from './layouts.js';
import { cString } from './bytes.js';

/** The facts of struct kinfo_proc this collector uses. */
export interface KinfoProc {
  /** Process id. */
  pid: number;
  /** Parent process id. */
  ppid: number;
  /** Short command name (ki_comm). */
  comm: string;
  /** Real uid. */
  ruid: number;
  /** Effective uid. */
  uid: number;
}

/**
 * Decodes one kinfo_proc (kern.proc.pid.<pid>). ki_structsize must match the returned length
 * and be at least what the reader needs; anything else is an unknown ABI.
 */
export function parseKinfoProc(buf: Buffer): KinfoProc | { error: string } {
  if (buf.length < KINFO_PROC.minLength) return { error: `kinfo_proc needs ${KINFO_PROC.minLength} bytes, got ${buf.length}` };
  const structsize = buf.readInt32LE(KINFO_PROC.structsize);
  if (structsize < KINFO_PROC.minLength || structsize > buf.length) {
    return { error: `kinfo_proc ki_structsize ${structsize} does not fit the ${buf.length} bytes returned (documented ${KINFO_PROC.size})` };
  }
  return {
    pid: buf.readInt32LE(KINFO_PROC.pid),
    ppid: buf.readInt32LE(KINFO_PROC.ppid),
    comm: cString(buf, KINFO_PROC.comm, KINFO_PROC.commLen),
    ruid: buf.readUInt32LE(KINFO_PROC.ruid),
    uid: buf.readUInt32LE(KINFO_PROC.uid),
  };
}
